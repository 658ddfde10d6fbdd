"""Small-number suppression: the one rule for every published count about people.

Why shared: the consultation's equality monitoring and the council's monitoring figures
both publish counts of people, and the council's rule is the same for both (a count from 1
to 4 is not shown, nor a second count that would let it be worked out from a total). One
copy of the rule means a change to it (say, a threshold of 10) reaches every page at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

SMALL_NUMBER = 5
"""Counts from 1 to ``SMALL_NUMBER - 1`` are suppressed; 0 reveals nobody and is shown."""

K = TypeVar("K")


def suppress(counts: Mapping[K, int], threshold: int = SMALL_NUMBER) -> dict[K, int | None]:
    """Counts with small numbers replaced by None.

    Primary: a count from 1 to ``threshold - 1`` is suppressed (0 reveals nobody). Secondary:
    if exactly one count is suppressed, the smallest other non-zero count is suppressed too,
    or the hidden one could be worked out from the total.
    """
    hidden = {k for k, v in counts.items() if 0 < v < threshold}
    if len(hidden) == 1:
        others = sorted(((v, str(k)), k) for k, v in counts.items() if k not in hidden and v > 0)
        if others:
            hidden.add(others[0][1])
    return {k: (None if k in hidden else v) for k, v in counts.items()}


def suppress_one(count: int, threshold: int = SMALL_NUMBER) -> int | None:
    """A single count shown on its own (no total beside it to work anything out from)."""
    return None if 0 < count < threshold else count
