"""A consultation definition is read into frozen objects, and a malformed one is refused
naming the field at fault; a response is only taken inside the consultation's window."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.consultation.domain.definition import (
    DefinitionError,
    MatrixRow,
    build_consultation,
    build_question,
)
from services.consultation.domain.model import (
    ConsultationClosed,
    ConsultationNotOpen,
    Interest,
    Response,
)
from services.consultation.domain.validation import Involvement, ValidResponse
from tests.unit.consultation.small_consultation import EQUALITY_SETS, definition

LONDON = ZoneInfo("Europe/London")


def refused(data: dict[str, Any]) -> str:
    with pytest.raises(DefinitionError) as caught:
        build_consultation(data, EQUALITY_SETS)
    return str(caught.value)


def test_every_field_of_the_definition_is_kept() -> None:
    c = build_consultation(definition(), EQUALITY_SETS)
    assert (c.slug, c.title, c.organisation, c.summary, c.easy_read_summary) == (
        "small",
        "A small consultation",
        "Leicestershire County Council",
        "What we are asking",
        "Easy words",
    )
    assert c.opens == datetime(2026, 6, 8, 9, 0, tzinfo=LONDON)
    assert c.closes == datetime(2026, 7, 31, 23, 59, tzinfo=LONDON)
    assert (c.audiences, c.areas, c.interests) == (
        ("Carers", "Professionals"),
        ("Charnwood",),
        ("Respite",),
    )
    assert c.questions_reconstructed is True
    assert [s.id for s in c.sections] == ["main", "about"]
    assert [(s.title, s.easy_read_title) for s in c.sections] == [
        ("Your views", "What you think"),
        ("About you", ""),
    ]
    assert [q.id for q in c.questions] == ["a", "a_why", "b", "c", "respondent_type"]
    assert [q.id for q in c.equality] == ["sex", "carer_type"]
    a = c.question("a")
    assert a is not None
    assert (a.number, a.hint, a.easy_read, a.follows, a.respondent_type) == (
        "a",
        "Choose one",
        "Does it fit?",
        "",
        False,
    )
    why = c.question("a_why")
    assert why is not None and (why.follows, why.number, why.options) == ("a", "", ())
    b = c.question("b")
    assert b is not None and b.rows == (
        MatrixRow("first", "The first priority", "First"),
        MatrixRow("second", "The second priority", ""),
    )
    assert b.row("second") == MatrixRow("second", "The second priority", "")
    assert b.row("third") is None
    multi = c.question("c")
    assert multi is not None and multi.exclusive == ("None of these",)
    assert c.respondent_type_question is c.question("respondent_type")
    assert [q.id for q in c.free_text] == ["a_why"]
    assert c.question("sex") is c.equality_question("sex")
    assert c.equality_question("a") is None


def test_a_minimal_definition_takes_the_defaults() -> None:
    data = definition()
    for key in (
        "organisation",
        "summary",
        "easy_read_summary",
        "timezone",
        "audiences",
        "areas",
        "interests",
        "questions_reconstructed",
        "equality",
    ):
        del data[key]
    data["sections"] = [
        {"id": "s", "title": "S", "questions": [{"id": "q", "kind": "text", "text": "Q?"}]}
    ]
    c = build_consultation(data, EQUALITY_SETS)
    assert (c.organisation, c.summary, c.easy_read_summary) == ("", "", "")
    assert (c.audiences, c.areas, c.interests, c.equality) == ((), (), (), ())
    assert c.questions_reconstructed is False
    assert c.opens.tzinfo == LONDON  # a date without a zone is the council's own time
    q = c.question("q")
    assert q is not None
    assert (q.number, q.hint, q.easy_read, q.follows, q.exclusive, q.respondent_type) == (
        "",
        "",
        "",
        "",
        (),
        False,
    )
    assert c.respondent_type_question is None


def test_dates_keep_their_own_zone_or_take_the_definitions_timezone() -> None:
    data = definition()
    data["timezone"] = "UTC"
    data["opens"] = datetime(2026, 1, 1, 12, 0, tzinfo=LONDON)
    data["closes"] = "2026-02-01T12:00:00"
    c = build_consultation(data, EQUALITY_SETS)
    assert c.opens == datetime(2026, 1, 1, 12, 0, tzinfo=LONDON)
    assert c.closes.tzinfo == ZoneInfo("UTC")


def test_a_date_that_is_not_iso_is_named() -> None:
    data = definition()
    data["closes"] = "next week"
    assert refused(data) == "small.closes: 'next week' is not an ISO date and time"


def test_closing_must_come_after_opening() -> None:
    data = definition()
    data["closes"] = data["opens"]
    assert refused(data) == "small.closes: must be after opens"


@pytest.mark.parametrize("key", ["title", "opens", "closes", "sections"])
@pytest.mark.parametrize("value", [None, ""])
def test_a_required_field_blank_or_missing_is_named(key: str, value: Any) -> None:
    data = definition()
    data[key] = value
    assert refused(data) == f"small.{key}: required"
    del data[key]
    assert refused(data) == f"small.{key}: required"


def test_a_definition_without_a_slug_is_named() -> None:
    data = definition()
    del data["slug"]
    assert refused(data) == "consultation.slug: required"


@pytest.mark.parametrize("key", ["id", "title", "questions"])
def test_a_section_field_missing_is_named_with_its_index(key: str) -> None:
    data = definition()
    del data["sections"][1][key]
    assert refused(data) == f"small.sections[1].{key}: required"


def test_a_question_at_fault_is_named_with_its_section_and_index() -> None:
    data = definition()
    del data["sections"][0]["questions"][2]["text"]
    assert refused(data) == "small.sections[0].questions[2].text: required"


def test_an_unknown_equality_set_is_named() -> None:
    data = definition()
    data["equality"] = "census"
    assert refused(data) == "small.equality: no equality set named 'census'"


def test_every_equality_question_must_offer_prefer_not_to_say() -> None:
    sets: dict[str, list[Mapping[str, Any]]] = {
        "standard": [{"id": "sex", "kind": "single", "text": "Sex?", "options": ["F", "M"]}]
    }
    with pytest.raises(DefinitionError) as caught:
        build_consultation(definition(), sets)
    assert str(caught.value) == "equality.sex: needs 'Prefer not to say'"
    sets = {"standard": [{"id": "sex", "kind": "single", "text": "Sex?"}]}
    with pytest.raises(DefinitionError) as caught:
        build_consultation(definition(), sets)
    assert str(caught.value) == "equality.standard[0].options: a single question needs options"


def test_repeated_question_ids_are_named_once_each_in_order() -> None:
    data = definition()
    questions = data["sections"][0]["questions"]
    questions[1]["id"] = "sex"
    questions[3]["id"] = "a"
    assert refused(data) == "small: question ids repeated: a, sex"


WHERE = "x.q"


def question_refused(data: dict[str, Any]) -> str:
    with pytest.raises(DefinitionError) as caught:
        build_question(data, WHERE)
    return str(caught.value)


def test_a_question_needs_a_known_kind() -> None:
    assert question_refused({"id": "q", "text": "Q?"}) == "x.q.kind: required"
    assert (
        question_refused({"id": "q", "kind": "essay", "text": "Q?"})
        == "x.q.kind: 'essay' is not one of single, multi, matrix, text"
    )


def test_a_question_needs_an_id_and_text() -> None:
    assert question_refused({"kind": "text", "text": "Q?"}) == "x.q.id: required"
    assert question_refused({"id": "q", "kind": "text"}) == "x.q.text: required"


@pytest.mark.parametrize("kind", ["single", "multi", "matrix"])
def test_a_closed_question_needs_options(kind: str) -> None:
    data = {"id": "q", "kind": kind, "text": "Q?", "rows": [{"id": "r", "text": "R"}]}
    assert question_refused(data) == f"x.q.options: a {kind} question needs options"
    assert (
        question_refused({**data, "options": []}) == f"x.q.options: a {kind} question needs options"
    )


@pytest.mark.parametrize("options", ["Yes", ["Yes", ""], ["Yes", 2]])
def test_options_must_be_a_list_of_non_empty_strings(options: Any) -> None:
    data = {"id": "q", "kind": "single", "text": "Q?", "options": options}
    assert question_refused(data) == "x.q.options: expected a list of non-empty strings"


def test_options_must_be_distinct() -> None:
    data = {"id": "q", "kind": "single", "text": "Q?", "options": ["Yes", "No", "Yes"]}
    assert question_refused(data) == "x.q.options: options must be distinct"
    exclusive = {"id": "q", "kind": "multi", "text": "Q?", "options": ["A"], "exclusive": [""]}
    assert question_refused(exclusive) == "x.q.exclusive: expected a list of non-empty strings"


def test_a_matrix_needs_rows_each_with_a_distinct_id() -> None:
    base = {"id": "q", "kind": "matrix", "text": "Q?", "options": ["Yes", "No"]}
    assert question_refused(base) == "x.q.rows: required"
    rows = [{"id": "r1", "text": "R1"}, {"text": "R2"}]
    assert question_refused({**base, "rows": rows}) == "x.q.rows[1].id: required"
    rows = [{"id": "r1", "text": "R1"}, {"id": "r1", "text": "R2"}]
    assert question_refused({**base, "rows": rows}) == "x.q.rows: row ids must be distinct"


def test_a_free_text_question_needs_no_options() -> None:
    q = build_question({"id": 7, "kind": "text", "text": "Q?", "respondent_type": 1}, WHERE)
    assert (q.id, q.kind, q.options, q.rows, q.respondent_type) == ("7", "text", (), (), True)
    assert q.closed is False


# --- the window and the response ---

CONSULTATION = build_consultation(definition(), EQUALITY_SETS)
OPENS, CLOSES = CONSULTATION.opens, CONSULTATION.closes
SECOND = timedelta(seconds=1)


def test_it_is_open_from_the_first_to_the_last_moment_inclusive() -> None:
    assert not CONSULTATION.is_open(OPENS - SECOND)
    assert CONSULTATION.is_open(OPENS) and CONSULTATION.is_open(CLOSES)
    assert not CONSULTATION.is_open(CLOSES + SECOND)
    assert not CONSULTATION.has_closed(CLOSES) and CONSULTATION.has_closed(CLOSES + SECOND)


def test_dates_are_written_as_people_write_them() -> None:
    assert (CONSULTATION.opens_on(), CONSULTATION.closed_on()) == ("8 June 2026", "31 July 2026")


def test_another_schedule_keeps_everything_else() -> None:
    moved = CONSULTATION.with_dates(OPENS + timedelta(days=1), CLOSES + timedelta(days=1))
    assert moved.opens == OPENS + timedelta(days=1) and moved.closes == CLOSES + timedelta(days=1)
    assert CONSULTATION.with_dates(OPENS, CLOSES) == CONSULTATION
    assert moved.question("a") is not None and moved.question("sex") is not None


VALID = ValidResponse(
    "paper",
    {"a": "Very well", "respondent_type": "As a carer"},
    {"sex": "Female"},
    None,
    "P-1",
)


def test_a_submitted_response_records_its_event_and_stays_anonymous() -> None:
    at = OPENS + timedelta(days=1)
    response = Response.submit(CONSULTATION, VALID, response_id="r1", at=at, entered_by="staff-1")
    assert (response.response_id, response.consultation, response.channel) == (
        "r1",
        "small",
        "paper",
    )
    assert (response.answers, response.equality) == (VALID.answers, VALID.equality)
    assert (response.submitted_at, response.respondent_type) == (at, "As a carer")
    assert (response.entered_by, response.paper_reference, response.interest) == (
        "staff-1",
        "P-1",
        None,
    )
    assert response.pending_events == [
        (
            "consultation.response_submitted",
            "r1",
            {
                "consultation": "small",
                "response_id": "r1",
                "channel": "paper",
                "submitted_at": at.isoformat(),
            },
        )
    ]


def test_involvement_becomes_a_separate_interest_with_its_own_event() -> None:
    at = OPENS
    valid = ValidResponse(
        "online", {"a": "Very well"}, {}, Involvement("Ann", "a@example.com", "0116")
    )
    response = Response.submit(CONSULTATION, valid, response_id="r2", at=at, interest_id="i1")
    assert response.interest == Interest("i1", "small", "Ann", "a@example.com", "0116", at)
    assert response.respondent_type is None and response.entered_by is None
    assert response.pending_events[1] == (
        "consultation.interest_registered",
        "i1",
        {"consultation": "small", "interest_id": "i1", "registered_at": at.isoformat()},
    )
    assert "Ann" not in repr(response.pending_events)
    with pytest.raises(
        ValueError, match="interest_id: needed when the respondent asks to be involved"
    ):
        Response.submit(CONSULTATION, valid, response_id="r3", at=at)


def test_a_response_outside_the_window_is_refused_saying_when() -> None:
    with pytest.raises(ConsultationClosed) as closed:
        Response.submit(CONSULTATION, VALID, response_id="r", at=CLOSES + SECOND)
    assert str(closed.value) == "This consultation closed on 31 July 2026."
    assert closed.value.closed_on == "31 July 2026"
    with pytest.raises(ConsultationNotOpen) as early:
        Response.submit(CONSULTATION, VALID, response_id="r", at=OPENS - SECOND)
    assert str(early.value) == "This consultation opens on 8 June 2026."
    assert Response.submit(CONSULTATION, VALID, response_id="r", at=CLOSES).response_id == "r"
    assert datetime(2026, 7, 31, 22, 59, tzinfo=UTC) == CLOSES


# --- edges found by the mutation run ---


def test_a_date_with_its_own_zone_keeps_it_in_summer_too() -> None:
    data = definition()
    data["timezone"] = "UTC"
    data["opens"] = "2026-06-01T12:00:00+01:00"
    c = build_consultation(data, EQUALITY_SETS)
    assert c.opens == datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    assert c.closes == datetime(2026, 7, 31, 23, 59, tzinfo=UTC)


def test_an_opening_date_that_is_not_iso_is_named() -> None:
    data = definition()
    data["opens"] = "soon"
    assert refused(data) == "small.opens: 'soon' is not an ISO date and time"


def test_a_consultation_without_a_respondent_type_question_records_none() -> None:
    data = definition()
    del data["sections"][1]
    c = build_consultation(data, EQUALITY_SETS)
    response = Response.submit(c, VALID, response_id="r", at=c.opens)
    assert response.respondent_type is None


def test_the_missing_interest_id_message_is_exact() -> None:
    valid = ValidResponse("online", {"a": "Very well"}, {}, Involvement("Ann", None, "0116"))
    with pytest.raises(ValueError) as caught:
        Response.submit(CONSULTATION, valid, response_id="r", at=OPENS)
    assert str(caught.value) == "interest_id: needed when the respondent asks to be involved"
