"""Figures as tables, and the arithmetic every figure shares: suppression by column,
percentages that hide with their numbers, and the nearest-rank percentile.

Pure. ``None`` is a hidden value (fewer than 5, or one that would reveal such a count).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.suppression import suppress

Value = int | float | str | None


@dataclass
class Row:
    label: str
    values: list[Value]


@dataclass
class Table:
    """One figure: ``chart`` is the column drawn beside the table (None: no chart)."""

    id: str
    title: str
    columns: list[str]
    rows: list[Row]
    note: str = ""
    chart: int | None = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "columns": self.columns,
            "rows": [{"label": r.label, "values": r.values} for r in self.rows],
            "note": self.note,
        }


def columns_suppressed(rows: Mapping[str, Sequence[int]]) -> dict[str, list[int | None]]:
    """Each column of counts suppressed as a set (secondary suppression within the column)."""
    labels = list(rows)
    width = len(next(iter(rows.values()), []))
    out: dict[str, list[int | None]] = {label: [] for label in labels}
    for column in range(width):
        shown = suppress({label: rows[label][column] for label in labels})
        for label in labels:
            out[label].append(shown[label])
    return out


def percent(part: int | None, whole: int | None) -> float | None:
    """``part`` of ``whole`` to one decimal place; hidden when either is hidden."""
    if part is None or whole is None:
        return None
    return round(100 * part / whole, 1) if whole else 0.0


def nearest_rank(values: Sequence[int], share: float) -> int:
    """The nearest-rank percentile: the smallest value with ``share`` of values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
