"""Officers' corrections become training examples, weighted above the shipped ones.

When an officer confirms or corrects the themes of an answer, that answer and the themes the
officer gave are a labelled example in the voice of a real carer: exactly what the shipped
examples lack. :func:`fold_in` merges new corrections into the examples learned so far; the
latest word on the same answer text wins, so an officer can correct a correction.

:func:`training_set` is what the classifier is fitted on: the shipped examples once and each
learned example ``OFFICER_WEIGHT`` times. Without the weight a hundred corrections are lost
among the shipped examples (the learning curve in docs/themes.md stayed flat); repeating an
example k times is, for the logistic regressions, the same as a sample weight of k, without
touching the classifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.consultation.domain.themes import THEME_IDS
from services.consultation.domain.themes.classifier import Assignment, Example
from services.consultation.domain.themes.features import normalise

OFFICER_WEIGHT = 2
"""How many shipped examples one officer's correction counts for (chosen by the learning
curve: see docs/themes.md "Learning from officers")."""


class InvalidCorrection(ValueError):
    """A correction that cannot be learned from (no text, or a theme that does not exist)."""


@dataclass(frozen=True)
class Correction:
    """An officer's word on one answer's themes, as kept until (and after) it is learned.

    ``learned_at`` is None until ``themes retrain`` folds it into the learned examples; a
    later correction of the same answer replaces this one and is learned afresh.
    """

    consultation: str
    response_id: str
    question_id: str
    example: Example
    corrected_by: str
    corrected_at: datetime
    learned_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.consultation, self.response_id, self.question_id)

    def view(self) -> dict[str, Any]:
        """The correction as the JSON endpoint returns it."""
        return {
            "text": self.example.text,
            "themes": sorted(self.example.themes),
            "consultation": self.consultation,
            "response_id": self.response_id,
            "question_id": self.question_id,
            "by": self.corrected_by,
            "corrected_at": self.corrected_at.isoformat(),
        }


def officers_assignment(kept: Correction) -> Assignment:
    """A corrected answer's themes as a theme run records them: the officer's, certain, and
    why (who said so), in place of the classifier's guess."""
    chosen = sorted(kept.example.themes, key=THEME_IDS.index)
    return Assignment(
        themes=chosen,
        scores={t: 1.0 if t in kept.example.themes else 0.0 for t in THEME_IDS},
        reasons={t: {"corrected_by": [kept.corrected_by]} for t in chosen},
        confidence=1.0,
    )


def distinct_neighbours(reasons: dict[str, list[str]]) -> dict[str, list[str]]:
    """A theme's reasons with each neighbour once: a learned example is trained on
    ``OFFICER_WEIGHT`` times, so it would otherwise be its own second-nearest neighbour."""
    if "neighbours" not in reasons:
        return reasons
    return {**reasons, "neighbours": list(dict.fromkeys(reasons["neighbours"]))}


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


def training_set(
    shipped: Sequence[Example], learned: Sequence[Example], weight: int = OFFICER_WEIGHT
) -> list[Example]:
    """The shipped examples once, then each officer-learned example ``weight`` times."""
    if weight < 1:
        raise ValueError("weight: an officer's example counts at least once")
    return [*shipped, *(example for example in learned for _ in range(weight))]
