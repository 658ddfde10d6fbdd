"""The inbox: a repeated event id is processed once (Kafka delivers at least once).

The processor against an in-memory unit of work, without Kafka or a database: each test
fails if the processor's inbox check is removed, because the handler would then see the
repeat.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from shared import topics
from shared.events import CloudEvent, InvalidEvent
from shared.messaging.deadletter import RawRecord
from shared.messaging.processor import Event, EventProcessor
from shared.messaging.uow import UnitOfWork
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork


def _parse(raw: bytes) -> tuple[CloudEvent, Any]:
    try:
        event = CloudEvent.model_validate(orjson.loads(raw))
    except ValueError:
        raise InvalidEvent("envelope: not a CloudEvent") from None
    return event, event.data


def _record(offset: int, value: bytes) -> RawRecord:
    return RawRecord("t", 0, offset, None, value)


class Seen:
    """A handler that remembers every event it was handed."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def one(self, envelope: CloudEvent, body: Any, uow: UnitOfWork) -> None:
        self.ids.append(envelope.id)
        uow.emit(topics.REFERRALS, envelope.subject, "handled", "urn:test", {"of": envelope.id})

    async def run(self, events: list[Event], uow: UnitOfWork) -> None:
        for envelope, body in events:
            await self.one(envelope, body, uow)


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


def processor(database: FakeDatabase, seen: Seen, batch: bool = False) -> EventProcessor[Any]:
    handlers = {} if batch else {"carer.updated": seen.one}
    batch_handlers = {"carer.updated": seen.run} if batch else {}
    return EventProcessor(
        "test",
        lambda: FakeUnitOfWork(database),
        handlers,
        _parse,
        batch_handlers=batch_handlers,
        retry_delay_seconds=0,
    )


EVENT = CloudEvent.new("carer.updated", "urn:carers:registry", "c-1", {"n": 1})


@pytest.mark.parametrize("batch", [False, True], ids=["one at a time", "batch handler"])
async def test_an_event_redelivered_in_a_later_batch_is_processed_once(
    database: FakeDatabase, batch: bool
) -> None:
    seen = Seen()
    events = processor(database, seen, batch)
    first = await events.process([_record(0, EVENT.to_bytes())])
    again = await events.process([_record(7, EVENT.to_bytes())])  # a redelivery elsewhere
    assert seen.ids == [EVENT.id]
    assert (first.processed, first.duplicates) == (1, 0)
    assert (again.processed, again.duplicates) == (0, 1)
    assert database.events() == [("handled", {"of": EVENT.id})]


@pytest.mark.parametrize("batch", [False, True], ids=["one at a time", "batch handler"])
async def test_the_same_event_twice_in_one_batch_is_processed_once(
    database: FakeDatabase, batch: bool
) -> None:
    seen = Seen()
    other = CloudEvent.new("carer.updated", "urn:carers:registry", "c-2", {"n": 2})
    records = [_record(0, EVENT.to_bytes()), _record(1, other.to_bytes())]
    records.append(_record(2, EVENT.to_bytes()))
    outcome = await processor(database, seen, batch).process(records)
    assert seen.ids == [EVENT.id, other.id]
    assert (outcome.processed, outcome.duplicates) == (2, 1)


async def test_the_same_id_from_another_source_is_another_event(database: FakeDatabase) -> None:
    seen = Seen()
    elsewhere = EVENT.model_copy(update={"source": "urn:carers:elsewhere"})
    await processor(database, seen).process([_record(0, EVENT.to_bytes())])
    await processor(database, seen).process([_record(1, elsewhere.to_bytes())])
    assert seen.ids == [EVENT.id, EVENT.id]


async def test_a_bad_record_redelivered_is_dead_lettered_once(database: FakeDatabase) -> None:
    seen = Seen()
    bad = _record(3, b"not json")
    await processor(database, seen).process([bad])
    await processor(database, seen).process([bad])
    dead = [row for row in database.outbox if row["topic"] == topics.DEADLETTER]
    assert len(dead) == 1 and seen.ids == []


async def test_a_batch_that_failed_is_not_remembered_so_its_redelivery_is_processed(
    database: FakeDatabase,
) -> None:
    seen = Seen()
    failing = True

    async def flaky(envelope: CloudEvent, body: Any, uow: UnitOfWork) -> None:
        if failing:
            raise ConnectionError("the database went away")
        await seen.one(envelope, body, uow)

    events: EventProcessor[Any] = EventProcessor(
        "test",
        lambda: FakeUnitOfWork(database),
        {"carer.updated": flaky},
        _parse,
        retry_delay_seconds=0,
    )
    with pytest.raises(ConnectionError):
        await events.process([_record(0, EVENT.to_bytes())])
    failing = False
    await events.process([_record(0, EVENT.to_bytes())])
    assert seen.ids == [EVENT.id]
