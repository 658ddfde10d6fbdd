"""Counting answers to closed questions, and keeping small numbers private.

Percentages are of those who answered the question (contract 5), so every count comes with
the number who answered beside it; a multiple-choice question's percentages can add up to
more than 100. Equality monitoring is only ever reported in aggregate, with any count from
1 to 4 suppressed, and a second cell suppressed where one alone could be worked out from
the total. Results filtered by an equality group are only given for groups of 5 or more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.consultation.domain.definition import Consultation, Question
from shared.suppression import SMALL_NUMBER, suppress


class GroupTooSmall(ValueError):
    """A filter picked out fewer than ``SMALL_NUMBER`` respondents: reporting it could
    identify them, so nothing is reported."""


def percent(count: int, answered: int) -> float:
    """``count`` as a percentage of ``answered``, to one decimal place (0 when none answered)."""
    return round(100 * count / answered, 1) if answered else 0.0


def _options(question: Question, counter: Counter[str], answered: int) -> list[dict[str, Any]]:
    return [
        {"option": o, "count": counter[o], "percent": percent(counter[o], answered)}
        for o in question.options
    ]


def tally_question(question: Question, answers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts and percentages for one closed question over every response's answers."""
    given = [a[question.id] for a in answers if a.get(question.id) not in (None, "", [], {})]
    base: dict[str, Any] = {
        "id": question.id,
        "number": question.number,
        "text": question.text,
        "kind": question.kind,
        "answered": len(given),
        "skipped": len(answers) - len(given),
    }
    if question.kind == "single":
        base["options"] = _options(question, Counter(given), len(given))
    elif question.kind == "multi":
        counter: Counter[str] = Counter()
        for chosen in given:
            counter.update(set(chosen))
        base["options"] = _options(question, counter, len(given))
    elif question.kind == "matrix":
        rows = []
        for row in question.rows:
            ratings = [g[row.id] for g in given if g.get(row.id)]
            rows.append(
                {
                    "id": row.id,
                    "text": row.text,
                    "answered": len(ratings),
                    "options": _options(question, Counter(ratings), len(ratings)),
                }
            )
        base["rows"] = rows
    else:
        raise ValueError(f"{question.id}: free text is themed, not counted")
    return base


def tally(consultation: Consultation, answers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Results for every closed question of the consultation, in question order."""
    return [tally_question(q, answers) for q in consultation.questions if q.closed]


def answered_count(question: Question, answers: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for a in answers if a.get(question.id) not in (None, "", [], {}))


def equality_report(
    consultation: Consultation,
    equality: Sequence[Mapping[str, Any]],
    threshold: int = SMALL_NUMBER,
) -> list[dict[str, Any]]:
    """Aggregate equality monitoring, suppressed: no count under ``threshold`` is shown."""
    report = []
    for question in consultation.equality:
        result = tally_question(question, equality)
        answered = result["answered"]
        counts = {o["option"]: o["count"] for o in result["options"]}
        shown = suppress(counts, threshold) if answered >= threshold else dict.fromkeys(counts)
        report.append(
            {
                "id": question.id,
                "text": question.text,
                "kind": question.kind,
                "answered": answered if answered >= threshold else None,
                "options": [
                    {
                        "option": option,
                        "count": shown[option],
                        "percent": None
                        if shown[option] is None
                        else percent(shown[option] or 0, answered),
                        "suppressed": shown[option] is None,
                    }
                    for option in counts
                ],
            }
        )
    return report


@dataclass(frozen=True)
class Filters:
    """Which respondents a result covers: a respondent type and/or one equality group."""

    respondent_type: str | None = None
    equality_question: str | None = None
    equality_option: str | None = None

    @property
    def by_equality(self) -> bool:
        return self.equality_question is not None


def select(
    consultation: Consultation,
    rows: Iterable[tuple[Mapping[str, Any], Mapping[str, Any], str | None]],
    filters: Filters,
    threshold: int = SMALL_NUMBER,
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The (answers, equality) of responses matching ``filters``.

    ``rows`` are ``(answers, equality, respondent_type)``. An equality filter that leaves
    fewer than ``threshold`` respondents raises :class:`GroupTooSmall`.
    """
    answers: list[Mapping[str, Any]] = []
    equality: list[Mapping[str, Any]] = []
    question = None
    if filters.by_equality:
        question = consultation.equality_question(filters.equality_question or "")
        if question is None:
            raise ValueError(f"equality: no equality question {filters.equality_question!r}")
        if filters.equality_option not in question.options:
            raise ValueError(f"equality: {filters.equality_option!r} is not an option")
    for row_answers, row_equality, respondent_type in rows:
        if filters.respondent_type and respondent_type != filters.respondent_type:
            continue
        if question is not None:
            value = row_equality.get(question.id)
            chosen = value if isinstance(value, list) else [value]
            if filters.equality_option not in chosen:
                continue
        answers.append(row_answers)
        equality.append(row_equality)
    if filters.by_equality and len(answers) < threshold:
        raise GroupTooSmall(
            f"fewer than {threshold} respondents are in that group, so their results are not shown"
        )
    return answers, equality


def suppress_results(results: list[dict[str, Any]], threshold: int = SMALL_NUMBER) -> None:
    """Suppress small counts in question results in place (used under an equality filter)."""
    for result in results:
        for block in result.get("rows", [result]):
            counts = {o["option"]: o["count"] for o in block["options"]}
            shown = suppress(counts, threshold)
            for option in block["options"]:
                if shown[option["option"]] is None:
                    option.update(count=None, percent=None, suppressed=True)
