"""Counts of closed questions, the small-number rule at its edges (4 and 5), the CSV layout
read back, and an officer's sign-off of themes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from services.consultation.domain import results as R
from services.consultation.domain.tabular import ImportError_, export_csv, read_import
from services.consultation.domain.themes.review import (
    IllegalDecision,
    ProposedTheme,
    decide,
    report,
    resolve,
)
from tests.unit.consultation.small_consultation import small_consultation

CONSULTATION = small_consultation()


def test_percent_is_to_one_decimal_place_and_zero_when_nobody_answered() -> None:
    assert R.percent(1, 3) == 33.3
    assert R.percent(2, 3) == 66.7
    assert R.percent(0, 0) == 0.0


def test_a_single_choice_tally_counts_those_who_answered_and_those_who_skipped() -> None:
    a = CONSULTATION.question("a")
    assert a is not None
    answers = [{"a": "Very well"}, {"a": "Very well"}, {"a": "Not at all"}, {"a": ""}, {}]
    assert R.tally_question(a, answers) == {
        "id": "a",
        "number": "a",
        "text": "How well does it fit?",
        "kind": "single",
        "answered": 3,
        "skipped": 2,
        "options": [
            {"option": "Very well", "count": 2, "percent": 66.7},
            {"option": "Fairly well", "count": 0, "percent": 0.0},
            {"option": "Not at all", "count": 1, "percent": 33.3},
        ],
    }
    assert R.answered_count(a, answers) == 3
    assert R.answered_count(a, [{"a": None}, {"a": []}, {"a": {}}, {"a": "Very well"}]) == 1


def test_a_multiple_choice_tally_counts_a_repeated_option_once() -> None:
    c = CONSULTATION.question("c")
    assert c is not None
    result = R.tally_question(
        c, [{"c": ["Respite", "Respite", "Advice"]}, {"c": ["Advice"]}, {"c": []}]
    )
    counts = {o["option"]: (o["count"], o["percent"]) for o in result["options"]}
    assert (result["answered"], result["skipped"]) == (2, 1)
    assert counts == {
        "Respite": (1, 50.0),
        "Groups": (0, 0.0),
        "Advice": (2, 100.0),
        "None of these": (0, 0.0),
    }


def test_a_matrix_tally_counts_each_statement_over_those_who_rated_it() -> None:
    b = CONSULTATION.question("b")
    assert b is not None
    answers = [
        {"b": {"first": "Very important", "second": "Don't know"}},
        {"b": {"first": "Very important"}},
        {"b": {"first": "Not important", "second": ""}},
    ]
    result = R.tally_question(b, answers)
    assert result["answered"] == 3
    first, second = result["rows"]
    assert (first["id"], first["text"], first["answered"]) == ("first", "The first priority", 3)
    assert [(o["option"], o["count"], o["percent"]) for o in first["options"]] == [
        ("Very important", 2, 66.7),
        ("Not important", 1, 33.3),
        ("Don't know", 0, 0.0),
    ]
    assert second["answered"] == 1
    assert [o["count"] for o in second["options"]] == [0, 0, 1]


def test_free_text_is_not_counted() -> None:
    why = CONSULTATION.question("a_why")
    assert why is not None
    with pytest.raises(ValueError, match="a_why: free text is themed, not counted"):
        R.tally_question(why, [])
    assert [r["id"] for r in R.tally(CONSULTATION, [])] == ["a", "b", "c", "respondent_type"]


def test_equality_counts_of_four_are_suppressed_and_of_five_are_shown() -> None:
    equality = (
        [{"sex": "Female"}] * 5 + [{"sex": "Male"}] * 4 + [{"carer_type": ["Adult carer"]}] * 4
    )
    report_ = {q["id"]: q for q in R.equality_report(CONSULTATION, equality)}
    sex = report_["sex"]
    assert (sex["id"], sex["text"], sex["kind"], sex["answered"]) == (
        "sex",
        "What is your sex?",
        "single",
        9,
    )
    assert sex["options"] == [
        # 4 is small; 5 is then suppressed too, or 9 - 5 would show the 4
        {"option": "Female", "count": None, "percent": None, "suppressed": True},
        {"option": "Male", "count": None, "percent": None, "suppressed": True},
        {"option": "Prefer not to say", "count": 0, "percent": 0.0, "suppressed": False},
    ]
    carer = report_["carer_type"]
    assert carer["answered"] is None  # only 4 answered: even the total is withheld
    assert all(o["count"] is None and o["suppressed"] for o in carer["options"])


def test_equality_counts_of_five_and_more_are_shown_with_their_percentages() -> None:
    equality = [{"sex": "Female"}] * 5 + [{"sex": "Male"}] * 5
    sex = R.equality_report(CONSULTATION, equality)[0]
    assert sex["answered"] == 10
    assert sex["options"][:2] == [
        {"option": "Female", "count": 5, "percent": 50.0, "suppressed": False},
        {"option": "Male", "count": 5, "percent": 50.0, "suppressed": False},
    ]


def test_a_custom_threshold_is_honoured() -> None:
    equality = [{"sex": "Female"}] * 3 + [{"sex": "Male"}] * 3
    sex = R.equality_report(CONSULTATION, equality, threshold=3)[0]
    assert sex["answered"] == 6
    assert [o["count"] for o in sex["options"]] == [3, 3, 0]


ROWS = [({"a": "Very well"}, {"sex": "Male", "carer_type": ["Adult carer"]}, "As a carer")] * 5 + [
    ({"a": "Not at all"}, {"sex": "Female"}, "As a professional")
] * 4


def test_an_equality_group_of_five_is_reported_and_of_four_refused() -> None:
    answers, equality = R.select(
        CONSULTATION, ROWS, R.Filters(equality_question="sex", equality_option="Male")
    )
    assert answers == [{"a": "Very well"}] * 5 and len(equality) == 5
    with pytest.raises(R.GroupTooSmall, match="fewer than 5 respondents are in that group"):
        R.select(CONSULTATION, ROWS, R.Filters(equality_question="sex", equality_option="Female"))


def test_a_multiple_choice_equality_group_is_matched_by_membership() -> None:
    answers, _ = R.select(
        CONSULTATION, ROWS, R.Filters(equality_question="carer_type", equality_option="Adult carer")
    )
    assert len(answers) == 5


def test_a_small_respondent_type_is_not_an_equality_group_and_is_returned() -> None:
    answers, _ = R.select(CONSULTATION, ROWS, R.Filters(respondent_type="As a professional"))
    assert answers == [{"a": "Not at all"}] * 4
    everyone, _ = R.select(CONSULTATION, ROWS, R.Filters())
    assert len(everyone) == 9


def test_an_unknown_equality_filter_is_named() -> None:
    with pytest.raises(ValueError, match="equality: no equality question 'age'"):
        R.select(CONSULTATION, ROWS, R.Filters(equality_question="age", equality_option="x"))
    with pytest.raises(ValueError, match="equality: 'Other' is not an option"):
        R.select(CONSULTATION, ROWS, R.Filters(equality_question="sex", equality_option="Other"))


def test_results_under_an_equality_filter_suppress_small_counts_in_every_block() -> None:
    a = CONSULTATION.question("a")
    b = CONSULTATION.question("b")
    assert a and b
    answers = [{"a": "Very well", "b": {"first": "Very important"}}] * 6 + [
        {"a": "Not at all", "b": {"first": "Don't know"}}
    ] * 4
    results = [R.tally_question(a, answers), R.tally_question(b, answers)]
    R.suppress_results(results)
    single = {o["option"]: o for o in results[0]["options"]}
    assert single["Not at all"] == {
        "option": "Not at all",
        "count": None,
        "percent": None,
        "suppressed": True,
    }
    assert single["Very well"]["count"] is None  # secondary suppression
    assert single["Fairly well"]["count"] == 0 and "suppressed" not in single["Fairly well"]
    first = {o["option"]: o["count"] for o in results[1]["rows"][0]["options"]}
    assert first == {"Very important": None, "Not important": 0, "Don't know": None}


# --- CSV ---


def test_the_export_heads_columns_with_the_wording_and_neutralises_formulas() -> None:
    text = export_csv(
        CONSULTATION,
        [
            {
                "response_id": "r1",
                "submitted_at": datetime(2026, 6, 9, 10, 0, tzinfo=UTC),
                "channel": "paper",
                "paper_reference": "P-9",
                "answers": {
                    "a": "Very well",
                    "a_why": "=HYPERLINK(1)",
                    "b": {"second": "Don't know"},
                    "c": ["Respite", "Advice"],
                },
            },
            {
                "response_id": "r2",
                "submitted_at": datetime(2026, 6, 9, 11, 0, tzinfo=UTC),
                "channel": "online",
                "answers": {"b": "not a mapping"},
            },
        ],
    )
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Response ID",
        "Submitted",
        "Channel",
        "Paper reference",
        "How well does it fit?",
        "Why do you say this?",
        "How important are these? - The first priority",
        "How important are these? - The second priority",
        "Which help do you use?",
        "In what capacity are you responding?",
    ]
    assert rows[1] == [
        "r1",
        "2026-06-09T10:00:00+00:00",
        "paper",
        "P-9",
        "Very well",
        "'=HYPERLINK(1)",
        "",
        "Don't know",
        "Respite; Advice",
        "",
    ]
    assert rows[2][3:] == ["", "", "", "", "", "", ""]
    [first, second] = read_import(CONSULTATION, text)
    assert first.raw == {
        "channel": "paper",
        "answers": {
            "a": "Very well",
            "a_why": "=HYPERLINK(1)",
            "b": {"second": "Don't know"},
            "c": ["Respite", "Advice"],
        },
    }
    assert (first.line, first.submitted, first.reference) == (2, "2026-06-09T10:00:00+00:00", "P-9")
    assert (second.line, second.reference, second.raw["answers"]) == (3, None, {})


def test_an_import_may_head_columns_with_question_ids_and_defaults_to_online() -> None:
    text = (
        "\ufeffID,A,B.FIRST,c,Completion date\n7,Very well,Don't know,Respite; ;Groups,2026-06-10\n"
    )
    [row] = read_import(CONSULTATION, text)
    assert row.raw == {
        "channel": "online",
        "answers": {"a": "Very well", "b": {"first": "Don't know"}, "c": ["Respite", "Groups"]},
    }
    assert (row.submitted, row.reference) == ("2026-06-10", None)


def test_import_headers_ignore_case_curly_quotes_spacing_and_numbering() -> None:
    text = "Q1) how  WELL does it fit?,Question 2: Which help do you use?\nFairly well,Advice\n"
    [row] = read_import(CONSULTATION, text)
    assert row.raw["answers"] == {"a": "Fairly well", "c": ["Advice"]}


def test_an_import_is_refused_when_it_has_no_header_or_no_question_column() -> None:
    with pytest.raises(ImportError_, match="the file has no header row"):
        read_import(CONSULTATION, "")
    with pytest.raises(ImportError_, match="no column matches a question of this consultation"):
        read_import(CONSULTATION, "ID,Channel\n1,online\n")


def test_only_the_first_five_unknown_columns_are_named() -> None:
    header = "a," + ",".join(f"X{i}" for i in range(7))
    with pytest.raises(ImportError_) as caught:
        read_import(CONSULTATION, header + "\n")
    assert str(caught.value) == "columns that match no question: X0, X1, X2, X3, X4"


# --- sign-off of themes ---


def themes() -> dict[str, ProposedTheme]:
    return {
        "cost": ProposedTheme("cost", "known", "Cost"),
        "respite": ProposedTheme("respite", "known", "Respite"),
        "new-a": ProposedTheme("new-a", "emergent", "Parking"),
        "new-b": ProposedTheme("new-b", "emergent", "Car parks"),
    }


def test_a_proposed_theme_is_not_reported_until_confirmed() -> None:
    t = themes()
    assert t["cost"].status == "proposed" and not t["cost"].reportable
    assert resolve(t, "cost") is None
    decided = decide(t, "cost", "confirm", by="officer-1")
    assert (decided.status, decided.decided_by, decided.label, decided.merged_into) == (
        "confirmed",
        "officer-1",
        "Cost",
        None,
    )
    assert resolve(t, "cost") is t["cost"]


def test_renaming_confirms_under_the_new_name_trimmed_up_to_120_characters() -> None:
    t = themes()
    assert decide(t, "new-a", "rename", by="o", label="  Parking at the hospital ").label == (
        "Parking at the hospital"
    )
    assert t["new-a"].status == "confirmed"
    assert decide(t, "new-b", "confirm", by="o", label="L" * 120).label == "L" * 120
    with pytest.raises(IllegalDecision, match="label: must be 120 characters or fewer"):
        decide(t, "new-b", "rename", by="o", label="L" * 121)
    for blank in (None, "", "   "):
        with pytest.raises(IllegalDecision, match="label: enter the theme's new name"):
            decide(t, "cost", "rename", by="o", label=blank)
    with pytest.raises(IllegalDecision, match="label: enter the theme's new name"):
        decide(t, "cost", "confirm", by="o", label=" ")


def test_a_decision_must_be_known_on_a_known_theme() -> None:
    with pytest.raises(KeyError):
        decide(themes(), "nope", "confirm", by="o")
    with pytest.raises(IllegalDecision) as caught:
        decide(themes(), "cost", "keep", by="o")
    assert str(caught.value) == "action: 'keep' is not one of confirm | rename | merge | reject"


def test_merging_moves_a_theme_and_whatever_was_merged_into_it() -> None:
    t = themes()
    decide(t, "new-b", "merge", by="o", into="new-a")
    assert (t["new-b"].status, t["new-b"].merged_into, t["new-b"].decided_by) == (
        "merged",
        "new-a",
        "o",
    )
    decide(t, "new-a", "merge", by="o", into="respite")
    assert t["new-b"].merged_into == "respite" and t["new-a"].merged_into == "respite"
    assert resolve(t, "new-b") is None  # respite is not confirmed yet
    decide(t, "respite", "confirm", by="o")
    assert resolve(t, "new-b") is t["respite"]
    decide(t, "new-a", "confirm", by="o")
    assert t["new-a"].merged_into is None


def test_a_merge_must_go_into_another_live_theme() -> None:
    t = themes()
    with pytest.raises(IllegalDecision, match="into: no theme 'nope' to merge into"):
        decide(t, "cost", "merge", by="o", into="nope")
    with pytest.raises(IllegalDecision, match="into: no theme None to merge into"):
        decide(t, "cost", "merge", by="o")
    with pytest.raises(IllegalDecision, match="into: a theme cannot be merged into itself"):
        decide(t, "cost", "merge", by="o", into="cost")
    decide(t, "respite", "reject", by="o")
    assert (t["respite"].status, t["respite"].merged_into) == ("rejected", None)
    with pytest.raises(
        IllegalDecision, match="into: 'Respite' is rejected; merge into a live theme"
    ):
        decide(t, "cost", "merge", by="o", into="respite")
    decide(t, "new-a", "merge", by="o", into="cost")
    with pytest.raises(IllegalDecision, match="into: 'Parking' is merged; merge into a live theme"):
        decide(t, "new-b", "merge", by="o", into="new-a")


def test_a_merge_cycle_resolves_to_nothing() -> None:
    t = themes()
    t["cost"].status, t["cost"].merged_into = "merged", "respite"
    t["respite"].status, t["respite"].merged_into = "merged", "cost"
    assert resolve(t, "cost") is None
    assert resolve(t, "nope") is None


def test_the_report_counts_an_answer_once_per_confirmed_theme_sorted_by_count() -> None:
    t = themes()
    for key in ("cost", "respite", "new-a"):
        decide(t, key, "confirm", by="o")
    decide(t, "new-b", "merge", by="o", into="new-a")
    assignments = [
        ("ans1", "a_why", "new-a"),
        ("ans1", "a_why", "new-b"),  # merged into new-a: still one answer
        ("ans2", "a_why", "new-b"),
        ("ans3", "a_why", "cost"),
        ("ans4", "a_why", "respite"),
        ("ans5", "other", "cost"),
    ]
    out = report(t, assignments, {"a_why": 8, "empty": 3})
    assert out["empty"] == []
    assert out["a_why"] == [
        {"id": "new-a", "label": "Parking", "kind": "emergent", "count": 2, "percent": 25.0},
        {"id": "cost", "label": "Cost", "kind": "known", "count": 1, "percent": 12.5},
        {"id": "respite", "label": "Respite", "kind": "known", "count": 1, "percent": 12.5},
    ]
    assert out["other"] == [
        {"id": "cost", "label": "Cost", "kind": "known", "count": 1, "percent": 0.0}
    ]


# --- edges found by the mutation run ---


def test_an_equality_question_answered_by_exactly_five_is_reported() -> None:
    sex = R.equality_report(CONSULTATION, [{"sex": "Female"}] * 5)[0]
    assert sex["answered"] == 5
    assert sex["options"][0] == {
        "option": "Female",
        "count": 5,
        "percent": 100.0,
        "suppressed": False,
    }


def test_suppression_under_a_filter_honours_a_custom_threshold() -> None:
    a = CONSULTATION.question("a")
    assert a is not None
    results = [R.tally_question(a, [{"a": "Very well"}] * 3 + [{"a": "Not at all"}] * 3)]
    R.suppress_results(results, threshold=3)
    assert [o["count"] for o in results[0]["options"]] == [3, 0, 3]


def test_import_messages_are_exact() -> None:
    with pytest.raises(ImportError_) as caught:
        read_import(CONSULTATION, "")
    assert str(caught.value) == "the file has no header row"
    with pytest.raises(ImportError_) as caught:
        read_import(CONSULTATION, "ID,Channel\n1,online\n")
    assert str(caught.value) == "no column matches a question of this consultation"


def test_citizen_space_date_columns_are_not_questions_and_a_bom_is_ignored() -> None:
    text = "\ufeffStart date,Submitted at,How well does it fit?\n2026-06-09,2026-06-10,Very well\n"
    [row] = read_import(CONSULTATION, text)
    assert (row.raw["answers"], row.submitted) == ({"a": "Very well"}, None)


def test_a_quoted_cell_that_is_not_a_formula_is_read_as_typed() -> None:
    [row] = read_import(CONSULTATION, "a_why\n'quoted' answer\n")
    assert row.raw["answers"] == {"a_why": "'quoted' answer"}


def test_decision_messages_are_exact() -> None:
    t = themes()
    for call, message in [
        (
            lambda: decide(t, "cost", "rename", by="o", label=" "),
            "label: enter the theme's new name",
        ),
        (
            lambda: decide(t, "cost", "rename", by="o", label="L" * 121),
            "label: must be 120 characters or fewer",
        ),
        (
            lambda: decide(t, "cost", "merge", by="o", into="cost"),
            "into: a theme cannot be merged into itself",
        ),
    ]:
        with pytest.raises(IllegalDecision) as caught:
            call()
        assert str(caught.value) == message
    with pytest.raises(KeyError) as missing:
        decide(t, "nope", "confirm", by="o")
    assert missing.value.args == ("nope",)


def test_report_percentages_are_to_one_place_and_ties_sorted_by_label() -> None:
    t = themes()
    for key in ("cost", "respite"):
        decide(t, key, "confirm", by="o")
    out = report(t, [("x", "q", "respite"), ("y", "q", "cost")], {"q": 3})
    assert [(r["label"], r["percent"]) for r in out["q"]] == [("Cost", 33.3), ("Respite", 33.3)]
