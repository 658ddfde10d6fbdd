"""Officers' corrections: kept (the latest per answer), shown in the queue at once, folded in
by retraining and marked learned, and weighted above the shipped examples; in memory, fast."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.consultation.adapters.catalogue import (
    DATA,
    load_consultations,
    load_themes,
    shipped_classifier,
)
from services.consultation.domain.definition import Consultation
from services.consultation.domain.themes.classifier import Example
from services.consultation.domain.themes.learning import (
    InvalidCorrection,
    distinct_neighbours,
    training_set,
)
from services.consultation.service_layer import handlers, theming
from tests.unit.consultation.fakes import FakeConsultationUnitOfWork
from tests.unit.fakes import FakeDatabase

LONDON = ZoneInfo("Europe/London")
OPEN = datetime(2026, 6, 1, 12, 0, tzinfo=LONDON)
SLUG = "draft-leicestershire-carers-strategy-2026"
CONSULTATION: Consultation = load_consultations(DATA / "consultations")[SLUG]
MURKY = "It's hard sometimes, you know, with everything."
CLEAR = "I am so lonely and isolated, I have no friends left and nobody to talk to."


def uow(database: FakeDatabase) -> FakeConsultationUnitOfWork:
    return FakeConsultationUnitOfWork(database)


@pytest.fixture
async def answers() -> tuple[FakeDatabase, dict[str, str]]:
    """A consultation with a murky answer and a clear one; their response ids by text."""
    database = FakeDatabase()
    ids = {}
    for text in (CLEAR, MURKY):
        raw = {"answers": {"g": text}}
        ids[text] = (
            await handlers.submit_response(uow(database), CONSULTATION, raw, at=OPEN)
        ).response_id
    return database, ids


async def correct(
    database: FakeDatabase, response_id: str, themes: object, by: str, at: datetime
) -> dict[str, Any]:
    async with uow(database) as unit:
        return await theming.correct_answer(
            unit, CONSULTATION, response_id, "g", themes, by=by, now=at
        )


async def test_a_correction_is_kept_and_a_later_one_of_the_same_answer_replaces_it(
    answers: tuple[FakeDatabase, dict[str, str]],
) -> None:
    database, ids = answers
    first = await correct(database, ids[MURKY], ["cost"], "amy", OPEN)
    second = await correct(database, ids[MURKY], ["respite"], "ben", OPEN + timedelta(minutes=5))
    assert first["themes"] == ["cost"] and second["themes"] == ["respite"]
    assert (
        second["by"] == "ben"
        and second["corrected_at"] == (OPEN + timedelta(minutes=5)).isoformat()
    )
    async with uow(database) as unit:
        [kept] = await unit.consultations.corrections(SLUG)
    assert (kept.response_id, kept.example, kept.corrected_by) == (
        ids[MURKY],
        Example(MURKY, frozenset({"respite"})),
        "ben",
    )
    with pytest.raises(InvalidCorrection, match="themes"):
        await correct(database, ids[MURKY], ["parking"], "amy", OPEN)
    with pytest.raises(KeyError):
        await correct(database, "no-such-response", ["cost"], "amy", OPEN)


async def test_a_corrected_answer_shows_the_officers_themes_and_no_longer_needs_a_person(
    answers: tuple[FakeDatabase, dict[str, str]],
) -> None:
    database, ids = answers
    async with uow(database) as unit:
        before = await theming.review_queue(unit, CONSULTATION, shipped_classifier())
    assert [a["text"] for a in before] == [MURKY, CLEAR] and before[0]["needs_person"]
    assert not any(a["corrected"] for a in before)

    await correct(database, ids[MURKY], ["respite"], "amy", OPEN)
    async with uow(database) as unit:
        after = await theming.review_queue(unit, CONSULTATION, shipped_classifier())

    assert [a["text"] for a in after] == [CLEAR, MURKY]  # done: after the rest
    murky = after[1]
    assert murky["corrected"] is True and murky["corrected_by"] == "amy"
    assert murky["themes"] == ["respite"] and murky["needs_person"] is False
    assert murky["suggested"] == before[0]["themes"]
    assert after[0]["corrected"] is False and after[0]["themes"] == before[1]["themes"]


async def test_a_theme_run_gives_a_corrected_answer_its_officers_themes(
    answers: tuple[FakeDatabase, dict[str, str]],
) -> None:
    database, ids = answers
    async with uow(database) as unit:
        before = await theming.run_themes(unit, CONSULTATION, shipped_classifier(), load_themes())
    await correct(database, ids[MURKY], ["respite", "cost"], "amy", OPEN)
    async with uow(database) as unit:
        after = await theming.run_themes(unit, CONSULTATION, shipped_classifier(), load_themes())
        assigned = await unit.consultations.assignments(SLUG)
    murky = {
        (theme, score, json.dumps(why)) for r, _, theme, score, why in assigned if r == ids[MURKY]
    }
    assert murky == {
        ("respite", 1.0, '{"corrected_by": ["amy"]}'),
        ("cost", 1.0, '{"corrected_by": ["amy"]}'),
    }
    assert after["needs_person"] == before["needs_person"] - 1
    assert {"respite", "cost"} <= set(after["known_themes"])


async def test_retraining_folds_every_correction_in_and_marks_only_new_ones_learned(
    answers: tuple[FakeDatabase, dict[str, str]],
) -> None:
    database, ids = answers
    database.tables["learned"] = [Example("Old example", frozenset({"cost"}))]
    database.tables["corrections_file"] = [{"text": "From the old file", "themes": ["respite"]}]
    await correct(database, ids[MURKY], ["respite"], "amy", OPEN)
    await correct(database, ids[CLEAR], ["loneliness"], "amy", OPEN)

    first = await theming.retrain(uow(database), now=OPEN + timedelta(hours=1))
    assert first == {
        "corrections": 3,
        "learned_before": 1,
        "learned": 4,
        "from_database": 2,
        "from_file": 1,
        "stored": 2,
    }
    async with uow(database) as unit:
        stored = await unit.consultations.corrections()
    assert {c.learned_at for c in stored} == {OPEN + timedelta(hours=1)}
    learned = {e.text: e.themes for e in database.tables["learned"]}
    assert learned[MURKY] == {"respite"} and learned["Old example"] == {"cost"}

    await correct(database, ids[MURKY], [], "ben", OPEN + timedelta(hours=2))  # "no theme"
    again = await theming.retrain(uow(database), now=OPEN + timedelta(hours=3))
    assert (again["from_database"], again["learned"]) == (1, 4)
    assert {e.text: e.themes for e in database.tables["learned"]}[MURKY] == frozenset()


async def test_a_bad_line_of_the_old_corrections_file_stops_retraining_and_nothing_is_marked(
    answers: tuple[FakeDatabase, dict[str, str]],
) -> None:
    database, ids = answers
    await correct(database, ids[MURKY], ["respite"], "amy", OPEN)
    database.tables["corrections_file"] = [{"text": "x", "themes": ["parking"]}]
    with pytest.raises(InvalidCorrection, match="parking"):
        await theming.retrain(uow(database), now=OPEN)
    async with uow(database) as unit:
        [kept] = await unit.consultations.corrections()
    assert kept.learned_at is None


def test_an_officers_example_counts_k_times_and_a_shipped_one_once() -> None:
    shipped = [Example("a", frozenset()), Example("b", frozenset({"cost"}))]
    learned = [Example("c", frozenset({"respite"}))]
    assert training_set(shipped, learned, 3) == [*shipped, *learned * 3]
    assert training_set(shipped, [], 3) == shipped
    with pytest.raises(ValueError, match="weight"):
        training_set(shipped, learned, 0)


def test_a_learned_example_is_named_once_among_an_answers_neighbours() -> None:
    why = {"words": ["lamp"], "neighbours": ["The lamp posts flicker.", "The lamp posts flicker."]}
    assert distinct_neighbours(why) == {
        "words": ["lamp"],
        "neighbours": ["The lamp posts flicker."],
    }
    assert distinct_neighbours({"corrected_by": ["amy"]}) == {"corrected_by": ["amy"]}
