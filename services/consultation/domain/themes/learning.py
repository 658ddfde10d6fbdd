"""Officers' corrections become training examples.

When an officer confirms or corrects the themes of an answer, that answer and the themes the
officer gave are a labelled example in the voice of a real carer: exactly what the shipped
examples lack. :func:`fold_in` merges new corrections into the examples learned so far; the
latest word on the same answer text wins, so an officer can correct a correction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.consultation.domain.themes import THEME_IDS
from services.consultation.domain.themes.classifier import Example
from services.consultation.domain.themes.features import normalise


class InvalidCorrection(ValueError):
    """A correction that cannot be learned from (no text, or a theme that does not exist)."""


def correction(record: Mapping[str, Any]) -> Example:
    """An example from a correction record ``{"text", "themes": [...]}``; the field is named."""
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidCorrection("text: the answer's text is missing")
    themes = record.get("themes")
    if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
        raise InvalidCorrection("themes: expected a list of theme ids")
    unknown = sorted(set(themes) - set(THEME_IDS))
    if unknown:
        raise InvalidCorrection(f"themes: unknown theme {unknown[0]!r}")
    return Example(text.strip(), frozenset(themes))


def fold_in(learned: Iterable[Example], corrections: Iterable[Example]) -> list[Example]:
    """The examples learned so far with the corrections applied, one per answer text."""
    merged: dict[str, Example] = {}
    for example in [*learned, *corrections]:
        merged[" ".join(normalise(example.text).split())] = example
    return list(merged.values())
