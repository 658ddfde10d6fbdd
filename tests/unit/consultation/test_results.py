"""Result arithmetic on a generated set of responses with known counts, and suppression."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from services.consultation.adapters.catalogue import load_consultations
from services.consultation.domain import results as R

SLUG = "draft-leicestershire-carers-strategy-2026"


def generate(n: int, seed: int = 7) -> tuple[list[dict], list[dict], Counter, Counter]:
    """``n`` responses where every count is known: a and b.recognised answered or skipped."""
    consultation = load_consultations()[SLUG]
    a, b = consultation.question("a"), consultation.question("b")
    rng = random.Random(seed)
    answers, equality = [], []
    a_counts: Counter = Counter()
    b_counts: Counter = Counter()
    for _ in range(n):
        row: dict = {}
        if rng.random() < 0.8:
            row["a"] = rng.choice(a.options)  # type: ignore[union-attr]
            a_counts[row["a"]] += 1
        if rng.random() < 0.9:
            rating = rng.choice(b.options)  # type: ignore[union-attr]
            row["b"] = {"recognised": rating}
            b_counts[rating] += 1
        answers.append(row)
        equality.append({"sex": rng.choice(["Female", "Male", "Prefer not to say"])})
    return answers, equality, a_counts, b_counts


def test_counts_and_percentages_are_of_those_who_answered_over_1200_responses() -> None:
    consultation = load_consultations()[SLUG]
    answers, _, a_counts, b_counts = generate(1200)

    results = {r["id"]: r for r in R.tally(consultation, answers)}

    a = results["a"]
    assert a["answered"] == sum(a_counts.values())
    assert a["skipped"] == 1200 - a["answered"]
    for option in a["options"]:
        assert option["count"] == a_counts[option["option"]]
        assert option["percent"] == round(100 * a_counts[option["option"]] / a["answered"], 1)
    recognised = results["b"]["rows"][0]
    assert recognised["answered"] == sum(b_counts.values())
    assert {o["option"]: o["count"] for o in recognised["options"]} == {
        o: b_counts[o] for o in b_counts
    }
    assert results["b"]["rows"][1]["answered"] == 0  # nobody rated the second priority
    assert abs(sum(o["percent"] for o in a["options"]) - 100) < 0.5


def test_a_multiple_choice_question_counts_each_respondent_once_per_option() -> None:
    consultation = load_consultations()[SLUG]
    carer_type = consultation.equality_question("carer_type")
    rows = [
        {"carer_type": ["Adult carer (18 or over)", "Former carer"]},
        {"carer_type": ["Former carer"]},
        {},
    ]
    result = R.tally_question(carer_type, rows)  # type: ignore[arg-type]
    counts = {o["option"]: (o["count"], o["percent"]) for o in result["options"]}
    assert result["answered"] == 2
    assert counts["Former carer"] == (2, 100.0) and counts["Adult carer (18 or over)"] == (1, 50.0)


def test_small_numbers_are_suppressed_with_a_second_cell_when_one_alone_would_show() -> None:
    assert R.suppress({"A": 10, "B": 3, "C": 7, "D": 0}) == {"A": 10, "B": None, "C": None, "D": 0}
    assert R.suppress({"A": 10, "B": 3, "C": 4}) == {"A": 10, "B": None, "C": None}
    assert R.suppress({"A": 5, "B": 6}) == {"A": 5, "B": 6}


def test_the_equality_report_never_shows_a_count_under_five() -> None:
    consultation = load_consultations()[SLUG]
    equality = [{"sex": "Female"}] * 9 + [{"sex": "Male"}] * 2 + [{"age_band": "85 or over"}] * 3
    report = {q["id"]: q for q in R.equality_report(consultation, equality)}
    sex = {o["option"]: o for o in report["sex"]["options"]}
    assert sex["Male"]["suppressed"] and sex["Male"]["count"] is None
    assert sex["Female"]["suppressed"]  # secondary: 11 answered minus 9 would reveal the 2
    assert sex["Prefer not to say"]["count"] == 0
    assert report["age_band"]["answered"] is None  # 3 answered: even the total is withheld
    shown = [o["count"] for q in report.values() for o in q["options"] if o["count"] is not None]
    assert all(count == 0 or count >= 5 for count in shown)


def test_results_for_an_equality_group_smaller_than_five_are_refused() -> None:
    consultation = load_consultations()[SLUG]
    rows = [({"a": "Very well"}, {"sex": "Male"}, None)] * 4 + [
        ({"a": "Not at all"}, {"sex": "Female"}, None)
    ] * 6
    with pytest.raises(R.GroupTooSmall):
        R.select(consultation, rows, R.Filters(equality_question="sex", equality_option="Male"))
    answers, _ = R.select(
        consultation, rows, R.Filters(equality_question="sex", equality_option="Female")
    )
    assert len(answers) == 6


def test_the_respondent_type_filter_keeps_only_that_type() -> None:
    consultation = load_consultations()[SLUG]
    rows: list[tuple[dict[str, str], dict[str, str], str]] = [
        ({"a": "Very well"}, {}, "As a carer"),
        ({"a": "Not at all"}, {}, "As a former carer"),
    ]
    answers, _ = R.select(consultation, rows, R.Filters(respondent_type="As a carer"))
    assert answers == [{"a": "Very well"}]
