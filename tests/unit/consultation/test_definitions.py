"""The consultations ship as data, worded exactly as the committee report words them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.consultation.adapters.catalogue import load_consultations
from services.consultation.domain.definition import (
    PREFER_NOT_TO_SAY,
    DefinitionError,
    build_consultation,
)

SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"
SLUG = "draft-leicestershire-carers-strategy-2026"


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def paragraph_25() -> str:
    seed = SEEDS / "002_2325105640ae9407.txt"
    if not seed.exists():
        pytest.skip(f"the committee report seed is not beside this checkout ({seed})")
    report = seed.read_text(encoding="utf-8")
    start = report.index("25. A report will be presented")
    return _flat(report[start : report.index("26. The public consultation")])


def test_the_2026_consultation_exists_out_of_the_box_with_questions_a_to_h() -> None:
    consultation = load_consultations()[SLUG]
    numbered = [q.number for q in consultation.questions if q.number and not q.follows]
    assert numbered == ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_every_question_and_option_a_to_h_is_spelt_exactly_as_in_paragraph_25(
    paragraph_25: str,
) -> None:
    consultation = load_consultations()[SLUG]
    for question in consultation.questions:
        if not question.number:
            continue
        assert _flat(question.text) in paragraph_25, question.id
        for option in question.options:
            if question.kind != "matrix":
                assert f"• {option}" in paragraph_25, option
        for row in question.rows:
            assert _flat(row.text) in paragraph_25, row.text


def test_question_f_keeps_the_reports_curly_apostrophe() -> None:
    f = load_consultations()[SLUG].question("f")
    assert (
        f is not None
        and f.text == "Is there anything you particularly don’t like about the draft strategy?"  # noqa: RUF001
    )


def test_question_b_is_a_matrix_of_four_priorities_on_the_contract_scale() -> None:
    b = load_consultations()[SLUG].question("b")
    assert b is not None and b.kind == "matrix"
    assert len(b.rows) == 4
    assert b.options == (
        "Very important",
        "Fairly important",
        "Not very important",
        "Not at all important",
        "Don't know",
    )


def test_question_a_has_its_follow_up_why_do_you_say_this() -> None:
    consultation = load_consultations()[SLUG]
    why = consultation.question("a_why")
    assert why is not None and why.kind == "text" and why.follows == "a"
    assert why.text == "Why do you say this? Is there anything you would like to add?"


def test_every_standard_equality_question_offers_prefer_not_to_say() -> None:
    equality = load_consultations()[SLUG].equality
    assert [q.id for q in equality] == [
        "age_band",
        "sex",
        "gender_identity",
        "disability",
        "ethnicity",
        "religion",
        "sexual_orientation",
        "carer_status",
        "carer_type",
    ]
    assert all(PREFER_NOT_TO_SAY in q.options for q in equality)


def test_the_2022_joint_strategy_consultation_is_loaded_and_closed_8_june_to_31_july_2022() -> None:
    old = load_consultations()["draft-joint-carers-strategy-2022-25"]
    assert old.title == "Draft Joint Carers Strategy 2022-25 consultation"
    assert (old.opens_on(), old.closed_on()) == ("8 June 2022", "31 July 2022")
    assert old.has_closed(old.closes.replace(year=2023))
    assert "Carers" in old.audiences and len(old.question("priorities").rows) == 8  # type: ignore[union-attr]


def test_a_malformed_definition_is_refused_naming_the_field() -> None:
    bad = {
        "slug": "x",
        "title": "X",
        "opens": "2026-01-01",
        "closes": "2026-02-01",
        "sections": [
            {"id": "s", "title": "S", "questions": [{"id": "q", "kind": "single", "text": "Q?"}]}
        ],
    }
    with pytest.raises(DefinitionError, match=r"x.sections\[0\].questions\[0\].options"):
        build_consultation(bad, {})
