"""A submitted response is checked against its consultation, naming every field at fault.

Each rule of ``validation.py`` at its edges: every kind of blank is a skipped question, the
exact wording a respondent sees for each problem, the limits (5,000 characters, a 100
character name, a 40 character paper reference) at and one past the limit, and contact
details only with a tick to be involved and consent.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.consultation.domain.validation import (
    InvalidResponse,
    Involvement,
    Problem,
    ValidResponse,
    check_answer,
    validate_response,
)
from tests.unit.consultation.small_consultation import small_consultation

CONSULTATION = small_consultation()
SINGLE = CONSULTATION.question("a")
TEXT = CONSULTATION.question("a_why")
MATRIX = CONSULTATION.question("b")
MULTI = CONSULTATION.question("c")
assert SINGLE and TEXT and MATRIX and MULTI
SINGLE_OPTIONS = "Very well | Fairly well | Not at all"
MULTI_OPTIONS = "Respite | Groups | Advice | None of these"
MATRIX_OPTIONS = "Very important | Not important | Don't know"


def problems_of(raw: dict[str, Any], *, staff: bool = False) -> list[tuple[str, str]]:
    with pytest.raises(InvalidResponse) as caught:
        validate_response(CONSULTATION, raw, staff=staff)
    return [(p.field, p.message) for p in caught.value.problems]


def checked(question: Any, value: Any) -> tuple[Any, list[tuple[str, str]]]:
    problems: list[Problem] = []
    answer = check_answer(question, value, "answers.q", problems)
    return answer, [(p.field, p.message) for p in problems]


# --- check_answer: skipping ---


@pytest.mark.parametrize("blank", [None, "", "   ", [], {}])
@pytest.mark.parametrize("kind", ["single", "multi", "matrix", "text"])
def test_every_kind_of_blank_is_a_skipped_question_not_a_problem(kind: str, blank: Any) -> None:
    question = {"single": SINGLE, "multi": MULTI, "matrix": MATRIX, "text": TEXT}[kind]
    assert checked(question, blank) == (None, [])


# --- free text ---


def test_free_text_is_kept_without_control_characters_or_surrounding_space() -> None:
    assert checked(TEXT, "  More\x00 respite\x07 please\x7f \n") == ("More respite please", [])
    assert checked(TEXT, "line one\nline two\ttab") == ("line one\nline two\ttab", [])


def test_free_text_of_only_control_characters_is_skipped() -> None:
    assert checked(TEXT, "\x00\x01\x1f") == (None, [])


def test_free_text_must_be_text() -> None:
    assert checked(TEXT, 42) == (None, [("answers.q", "must be text")])
    assert checked(TEXT, ["a list"]) == (None, [("answers.q", "must be text")])


def test_free_text_may_be_5000_characters_but_not_5001() -> None:
    assert checked(TEXT, "x" * 5000) == ("x" * 5000, [])
    assert checked(TEXT, "x" * 5001) == (
        None,
        [("answers.q", "must be 5,000 characters or fewer")],
    )
    # the limit counts what is kept, after control characters are removed
    assert checked(TEXT, "x" * 5000 + "\x00\x00") == ("x" * 5000, [])


# --- one option ---


def test_a_single_choice_answer_must_be_one_of_the_options() -> None:
    assert checked(SINGLE, "Fairly well") == ("Fairly well", [])
    assert checked(SINGLE, "Quite well") == (
        None,
        [("answers.q", f"'Quite well' is not one of the options: {SINGLE_OPTIONS}")],
    )


def test_a_single_choice_answer_that_is_not_text_is_named_the_answer() -> None:
    assert checked(SINGLE, 3) == (
        None,
        [("answers.q", f"the answer is not one of the options: {SINGLE_OPTIONS}")],
    )
    assert checked(SINGLE, ["Very well"]) == (
        None,
        [("answers.q", f"the answer is not one of the options: {SINGLE_OPTIONS}")],
    )


def test_a_wrong_answer_is_quoted_back_up_to_60_characters_only() -> None:
    sixty, sixty_one = "y" * 60, "z" * 61
    assert checked(SINGLE, sixty)[1] == [
        ("answers.q", f"'{sixty}' is not one of the options: {SINGLE_OPTIONS}")
    ]
    assert checked(SINGLE, sixty_one)[1] == [
        ("answers.q", f"the answer is not one of the options: {SINGLE_OPTIONS}")
    ]


# --- several options ---


def test_multiple_choice_answers_come_back_in_definition_order_without_repeats() -> None:
    assert checked(MULTI, ["Advice", "Respite", "Advice"]) == (["Respite", "Advice"], [])


def test_one_option_given_as_text_counts_as_a_list_of_one() -> None:
    assert checked(MULTI, "Groups") == (["Groups"], [])


@pytest.mark.parametrize("value", [7, ["Respite", 3], {"Respite": True}, ("Respite",)])
def test_multiple_choice_answers_must_be_a_list_of_options(value: Any) -> None:
    assert checked(MULTI, value) == (None, [("answers.q", "must be a list of options")])


def test_the_first_wrong_option_is_named() -> None:
    assert checked(MULTI, ["Respite", "Bingo", "Darts"]) == (
        None,
        [("answers.q", f"'Bingo' is not one of the options: {MULTI_OPTIONS}")],
    )


def test_an_exclusive_option_cannot_be_chosen_with_another() -> None:
    assert checked(MULTI, ["Respite", "None of these"]) == (
        None,
        [("answers.q", "'None of these' cannot be chosen with other options")],
    )


def test_an_exclusive_option_alone_even_repeated_is_accepted() -> None:
    assert checked(MULTI, ["None of these"]) == (["None of these"], [])
    assert checked(MULTI, ["None of these", "None of these"]) == (["None of these"], [])


# --- matrix ---


def test_a_matrix_answer_keeps_rated_rows_in_row_order_and_skips_blank_ratings() -> None:
    value = {"first": "", "second": "Don't know"}
    assert checked(MATRIX, value) == ({"second": "Don't know"}, [])
    assert checked(MATRIX, {"second": "Not important", "first": "Very important"}) == (
        {"first": "Very important", "second": "Not important"},
        [],
    )
    blanks: tuple[Any, ...] = (None, "", [], {})
    for blank in blanks:
        assert checked(MATRIX, {"first": blank, "second": "Don't know"}) == (
            {"second": "Don't know"},
            [],
        )


def test_a_matrix_answer_with_every_rating_blank_is_skipped() -> None:
    assert checked(MATRIX, {"first": "", "second": None}) == (None, [])


def test_a_matrix_answer_must_be_an_object_of_statement_and_rating() -> None:
    for value in (["Very important"], "Very important", 5):
        assert checked(MATRIX, value) == (
            None,
            [("answers.q", "must be an object of statement: rating")],
        )


def test_each_unknown_statement_and_wrong_rating_is_named_and_the_rest_still_checked() -> None:
    value = {"third": "Very important", "first": "Vital", "second": "Very important"}
    answer, problems = checked(MATRIX, value)
    assert problems == [
        ("answers.q.third", "no such statement in this question"),
        ("answers.q.first", f"'Vital' is not one of the options: {MATRIX_OPTIONS}"),
    ]
    assert answer == {"second": "Very important"}


# --- the whole response ---


def test_a_valid_response_is_returned_cleaned_with_the_default_channel_online() -> None:
    valid = validate_response(
        CONSULTATION,
        {
            "answers": {"a": "Very well", "a_why": "  Because\x00 ", "c": "Advice"},
            "equality": {"sex": "Female", "carer_type": ["Young carer", "Adult carer"]},
        },
    )
    assert valid == ValidResponse(
        channel="online",
        answers={"a": "Very well", "a_why": "Because", "c": ["Advice"]},
        equality={"sex": "Female", "carer_type": ["Adult carer", "Young carer"]},
        involvement=None,
        paper_reference=None,
    )


def test_skipped_answers_are_not_recorded() -> None:
    valid = validate_response(CONSULTATION, {"answers": {"a": "Very well", "a_why": "  "}})
    assert valid.answers == {"a": "Very well"}


def test_easy_read_responses_are_taken_online() -> None:
    valid = validate_response(
        CONSULTATION, {"channel": "easy_read", "answers": {"a": "Not at all"}}
    )
    assert valid.channel == "easy_read"


def test_an_unknown_channel_is_named_with_the_channels_there_are() -> None:
    assert problems_of({"channel": "fax", "answers": {"a": "Very well"}}) == [
        ("channel", "'fax' is not one of online | easy_read | paper")
    ]


def test_only_council_staff_key_in_paper_returns() -> None:
    raw = {"channel": "paper", "answers": {"a": "Very well"}, "paper_reference": " P-17 "}
    assert problems_of(raw) == [("channel", "paper returns are keyed in by council staff")]
    with pytest.raises(InvalidResponse):  # not staff unless the caller says so
        validate_response(CONSULTATION, raw)
    valid = validate_response(CONSULTATION, raw, staff=True)
    assert (valid.channel, valid.paper_reference) == ("paper", "P-17")


def test_a_paper_reference_may_be_40_characters_but_not_41() -> None:
    ok = validate_response(
        CONSULTATION, {"answers": {"a": "Very well"}, "paper_reference": "R" * 40}, staff=True
    )
    assert ok.paper_reference == "R" * 40
    assert problems_of({"answers": {"a": "Very well"}, "paper_reference": "R" * 41}) == [
        ("paper_reference", "must be 40 characters or fewer")
    ]


def test_a_blank_paper_reference_is_none() -> None:
    valid = validate_response(CONSULTATION, {"answers": {"a": "Very well"}, "paper_reference": " "})
    assert valid.paper_reference is None


def test_a_response_must_answer_at_least_one_question() -> None:
    assert problems_of({}) == [("answers", "Answer at least one question")]
    assert problems_of({"answers": {"a": ""}, "equality": {}}) == [
        ("answers", "Answer at least one question")
    ]


def test_equality_answers_alone_are_a_response() -> None:
    valid = validate_response(CONSULTATION, {"equality": {"sex": "Prefer not to say"}})
    assert (valid.answers, valid.equality) == ({}, {"sex": "Prefer not to say"})


def test_answer_at_least_one_question_is_not_added_to_other_problems() -> None:
    assert problems_of({"channel": "fax"}) == [
        ("channel", "'fax' is not one of online | easy_read | paper")
    ]


def test_answers_and_equality_must_be_objects() -> None:
    assert problems_of({"answers": ["a"], "equality": "Female"}) == [
        ("answers", "must be an object of question id: answer"),
        ("equality", "must be an object of question id: answer"),
    ]


def test_unknown_questions_are_named_and_equality_questions_stay_in_their_own_place() -> None:
    raw = {
        "answers": {"zz": "x", "sex": "Female", "a": "Very well"},
        "equality": {"a": "Very well", "sex": "Male", "yy": "x"},
    }
    assert problems_of(raw) == [
        ("answers.zz", "no such question in this consultation"),
        ("answers.sex", "no such question in this consultation"),
        ("equality.a", "no such question in this consultation"),
        ("equality.yy", "no such question in this consultation"),
    ]


def test_every_problem_is_listed_in_order_and_in_the_message() -> None:
    raw = {
        "channel": "fax",
        "answers": {"a": "Maybe", "c": ["Respite", "None of these"]},
        "equality": {"sex": "Other"},
        "paper_reference": "R" * 41,
        "zeta": 1,
        "alpha": 2,
    }
    expected = [
        ("channel", "'fax' is not one of online | easy_read | paper"),
        ("answers.a", f"'Maybe' is not one of the options: {SINGLE_OPTIONS}"),
        ("answers.c", "'None of these' cannot be chosen with other options"),
        ("equality.sex", "'Other' is not one of the options: Female | Male | Prefer not to say"),
        ("paper_reference", "must be 40 characters or fewer"),
        ("alpha", "is not a field of a response"),
        ("zeta", "is not a field of a response"),
    ]
    assert problems_of(raw) == expected
    with pytest.raises(InvalidResponse) as caught:
        validate_response(CONSULTATION, raw)
    assert str(caught.value) == "; ".join(f"{f}: {m}" for f, m in expected)


def test_a_valid_response_with_an_unknown_field_is_refused() -> None:
    assert problems_of({"answers": {"a": "Very well"}, "name": "Ann"}) == [
        ("name", "is not a field of a response")
    ]


# --- involvement ---

ANSWERS = {"a": "Very well"}
PERSON = {"name": "Ann Carer", "email": "ann@example.com", "consent": True}


def involvement(**fields: Any) -> Involvement | None:
    raw = {"wants_to_be_involved": True, **PERSON, **fields}
    return validate_response(CONSULTATION, {"answers": ANSWERS, "involvement": raw}).involvement


def involvement_problems(**fields: Any) -> list[tuple[str, str]]:
    raw = {"wants_to_be_involved": True, **PERSON, **fields}
    return problems_of({"answers": ANSWERS, "involvement": raw})


@pytest.mark.parametrize("ticked", [True, "yes", "true", "on"])
def test_the_involvement_tick_and_consent_accept_what_forms_send(ticked: Any) -> None:
    assert involvement(wants_to_be_involved=ticked, consent=ticked) == Involvement(
        "Ann Carer", "ann@example.com", None
    )


def test_no_involvement_is_none() -> None:
    nothing: tuple[Any, ...] = (None, {}, "")
    for blank in nothing:
        valid = validate_response(CONSULTATION, {"answers": ANSWERS, "involvement": blank})
        assert valid.involvement is None
    unticked = {"wants_to_be_involved": False}
    assert (
        validate_response(CONSULTATION, {"answers": ANSWERS, "involvement": unticked}).involvement
        is None
    )


def test_involvement_must_be_an_object() -> None:
    assert problems_of({"answers": ANSWERS, "involvement": ["Ann"]}) == [
        ("involvement", "must be an object")
    ]


@pytest.mark.parametrize(
    "detail", [{"name": "Ann"}, {"email": "ann@example.com"}, {"phone": "0116 496 0123"}]
)
@pytest.mark.parametrize("unticked", [False, "no", None, "off"])
def test_contact_details_without_the_tick_are_refused(detail: dict, unticked: Any) -> None:
    raw = {"wants_to_be_involved": unticked, **detail}
    assert problems_of({"answers": ANSWERS, "involvement": raw}) == [
        (
            "involvement.wants_to_be_involved",
            "Tick the box if you would like to be involved in future work, "
            "or remove your contact details",
        )
    ]


def test_a_name_is_needed_of_at_most_100_characters() -> None:
    assert involvement_problems(name="  ") == [("involvement.name", "Enter your name")]
    assert involvement(name="N" * 100) == Involvement("N" * 100, "ann@example.com", None)
    assert involvement_problems(name="N" * 101) == [
        ("involvement.name", "must be 100 characters or fewer")
    ]


def test_an_email_or_a_phone_number_is_needed() -> None:
    assert involvement_problems(email="") == [
        ("involvement.email", "Enter an email address or a phone number")
    ]


def test_the_email_address_is_checked_and_normalised() -> None:
    assert involvement(email=" Ann@EXAMPLE.com ") == Involvement(
        "Ann Carer", "Ann@example.com", None
    )
    assert involvement_problems(email="ann-at-example") == [
        ("involvement.email", "Enter an email address like name@example.com")
    ]


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("0116 496 0123", "01164960123"),
        ("(0116) 496-0123", "01164960123"),
        ("+44 116 496 0123", "+441164960123"),
        ("07700 900123", "07700900123"),
        ("0116 496 012", "0116496012"),
    ],
)
def test_a_uk_phone_number_is_kept_as_digits(typed: str, kept: str) -> None:
    assert involvement(email=None, phone=typed) == Involvement("Ann Carer", None, kept)


@pytest.mark.parametrize("typed", ["12345", "0116 496 01", "0116 496 012345", "+1 212 555 0123"])
def test_a_phone_number_that_is_not_uk_is_refused(typed: str) -> None:
    assert involvement_problems(email=None, phone=typed) == [
        ("involvement.phone", "Enter a UK phone number, like 0116 496 0123")
    ]


@pytest.mark.parametrize("consent", [None, False, "no", "off"])
def test_consent_is_needed_to_keep_the_details(consent: Any) -> None:
    assert involvement_problems(consent=consent) == [
        ("involvement.consent", "Tick the box to agree to us keeping your details")
    ]


def test_every_involvement_problem_is_named_together() -> None:
    assert involvement_problems(name="", email="bad", phone="123", consent=False) == [
        ("involvement.name", "Enter your name"),
        ("involvement.email", "Enter an email address like name@example.com"),
        ("involvement.phone", "Enter a UK phone number, like 0116 496 0123"),
        ("involvement.consent", "Tick the box to agree to us keeping your details"),
    ]


def test_both_email_and_phone_are_kept_when_given() -> None:
    assert involvement(phone="0116 496 0123") == Involvement(
        "Ann Carer", "ann@example.com", "01164960123"
    )
