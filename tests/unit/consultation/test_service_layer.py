"""The consultation's use cases against an in-memory unit of work, in milliseconds.

The small-number rule is tested here at its boundaries through the consultation's own
results (``handlers.results``), whichever module the rule itself lives in: a count of 4 is
never published, a count of 5 is, and a second count is hidden where the first could be
worked out from the total.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.consultation.adapters.catalogue import DATA, load_consultations
from services.consultation.adapters.repository import ConsultationRepository
from services.consultation.domain.definition import Consultation
from services.consultation.domain.model import ConsultationClosed
from services.consultation.domain.results import Filters, GroupTooSmall
from services.consultation.service_layer import handlers
from shared import topics
from tests.unit.consultation.fakes import FakeConsultationRepository, FakeConsultationUnitOfWork
from tests.unit.fakes import FakeDatabase, assert_same_interface

LONDON = ZoneInfo("Europe/London")
OPEN = datetime(2026, 6, 1, 12, 0, tzinfo=LONDON)
SLUG = "draft-leicestershire-carers-strategy-2026"
CONSULTATION: Consultation = load_consultations(DATA / "consultations")[SLUG]


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


def uow(database: FakeDatabase) -> FakeConsultationUnitOfWork:
    return FakeConsultationUnitOfWork(database)


async def respond(database: FakeDatabase, *people: tuple[str, str]) -> None:
    """One response per ``(sex, answer to a)``."""
    for sex, a in people:
        raw = {"answers": {"a": a}, "equality": {"sex": sex}}
        await handlers.submit_response(uow(database), CONSULTATION, raw, at=OPEN)


async def results(database: FakeDatabase, **filters: Any) -> dict[str, Any]:
    return await handlers.results(uow(database), CONSULTATION, Filters(**filters))


def shown(report: dict[str, Any], question: str) -> dict[str, int | None]:
    """The published count per option of an equality question."""
    (found,) = [q for q in report["equality"] if q["id"] == question]
    return {o["option"]: o["count"] for o in found["options"]}


def tallied(report: dict[str, Any], question: str) -> dict[str, int | None]:
    (found,) = [q for q in report["questions"] if q["id"] == question]
    return {o["option"]: o["count"] for o in found["options"]}


def test_the_fake_honours_the_real_repository() -> None:
    assert_same_interface(FakeConsultationRepository, ConsultationRepository)


async def test_a_response_is_stored_with_its_event(database: FakeDatabase) -> None:
    raw = {"channel": "easy_read", "answers": {"a": "Very well"}}
    response = await handlers.submit_response(uow(database), CONSULTATION, raw, at=OPEN)
    (event_type, data), *_ = database.events(topics.CONSULTATION)
    assert event_type == "consultation.response_submitted"
    assert (data["response_id"], data["channel"]) == (response.response_id, "easy_read")
    assert [r.answers for r in database.tables["responses"]] == [{"a": "Very well"}]


async def test_after_the_close_nothing_is_stored_or_published(database: FakeDatabase) -> None:
    after = datetime(2027, 4, 1, 0, 0, 1, tzinfo=LONDON)
    with pytest.raises(ConsultationClosed):
        await handlers.submit_response(
            uow(database), CONSULTATION, {"answers": {"a": "Very well"}}, at=after
        )
    assert database.tables.get("responses", []) == [] and database.outbox == []


async def test_a_saved_draft_comes_back_and_goes_when_the_response_is_sent(
    database: FakeDatabase,
) -> None:
    raw = {"answers": {"a": "Fairly well"}}
    code = await handlers.save_draft(uow(database), CONSULTATION, raw, channel="online", at=OPEN)
    assert await handlers.load_draft(uow(database), CONSULTATION, code.lower()) == (
        "online",
        raw,
    )
    await handlers.submit_response(uow(database), CONSULTATION, raw, at=OPEN, draft_code=code)
    assert await handlers.load_draft(uow(database), CONSULTATION, code) is None


async def test_an_import_with_one_bad_row_stores_none_of_it(database: FakeDatabase) -> None:
    text = "Response ID,a\n1,Very well\n2,Splendidly\n"
    outcome = await handlers.import_responses(uow(database), CONSULTATION, text, by="o", now=OPEN)
    assert outcome["imported"] == 0 and "line 3" in outcome["problems"][0]
    assert database.tables.get("responses", []) == [] and database.outbox == []


async def test_an_equality_count_of_4_is_never_published_nor_the_one_that_would_reveal_it(
    database: FakeDatabase,
) -> None:
    await respond(database, *[("Male", "Very well")] * 4, *[("Female", "Very well")] * 6)
    assert shown(await results(database), "sex") == {
        "Female": None,  # secondary: with the total, 6 would give away the 4
        "Male": None,
        "Prefer not to say": 0,  # a 0 hides nothing, so it is not the second cell
    }


async def test_the_second_cell_hidden_is_the_smallest_other_count(
    database: FakeDatabase,
) -> None:
    await respond(database, *[("Male", "Very well")] * 4, *[("Female", "Very well")] * 6)
    await respond(database, *[("Prefer not to say", "Very well")] * 10)
    assert shown(await results(database), "sex") == {
        "Female": None,
        "Male": None,
        "Prefer not to say": 10,
    }


async def test_an_equality_count_of_5_is_published(database: FakeDatabase) -> None:
    await respond(database, *[("Male", "Very well")] * 5, *[("Female", "Fairly well")] * 5)
    assert shown(await results(database), "sex") == {
        "Female": 5,
        "Male": 5,
        "Prefer not to say": 0,  # nobody is revealed by a 0
    }


async def test_an_equality_question_answered_by_4_people_shows_no_counts_at_all(
    database: FakeDatabase,
) -> None:
    await respond(database, *[("Male", "Very well")] * 4)
    report = await results(database)
    (sex,) = [q for q in report["equality"] if q["id"] == "sex"]
    assert sex["answered"] is None
    assert all(o["count"] is None and o["suppressed"] for o in sex["options"])


async def test_a_group_of_4_gets_no_results_and_a_group_of_5_gets_suppressed_ones(
    database: FakeDatabase,
) -> None:
    await respond(database, *[("Male", "Very well")] * 4)
    with pytest.raises(GroupTooSmall):
        await results(database, equality_question="sex", equality_option="Male")
    await respond(database, ("Male", "Fairly well"))
    five = await results(database, equality_question="sex", equality_option="Male")
    assert five["responses"] == 5
    counts = tallied(five, "a")
    assert counts["Very well"] is None and counts["Fairly well"] is None  # 4, and the 1
    assert counts["Not at all"] == 0


async def test_within_a_group_two_counts_of_4_are_both_hidden(database: FakeDatabase) -> None:
    await respond(database, *[("Female", "Very well")] * 4, *[("Female", "Not at all")] * 4)
    women = await results(database, equality_question="sex", equality_option="Female")
    assert tallied(women, "a") == {
        "Very well": None,
        "Fairly well": 0,
        "Not very well": 0,
        "Not at all": None,
        "Don't know": 0,
    }


async def test_a_group_of_5_answering_alike_is_published_in_full(database: FakeDatabase) -> None:
    await respond(database, *[("Female", "Not very well")] * 5, ("Male", "Very well"))
    women = await results(database, equality_question="sex", equality_option="Female")
    assert tallied(women, "a")["Not very well"] == 5
    assert tallied(await results(database), "a")["Very well"] == 1  # unfiltered: no suppression
