"""The processor's declared extension point: after handlers keyed by event type (issue 18).

The registry's self-service part keeps its tables in step this way instead of wrapping the
registry's handlers; these tests pin what it relies on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlmodel import SQLModel

from shared.db import make_engine, make_session_factory
from shared.events import CloudEvent
from shared.messaging.deadletter import RawRecord
from shared.messaging.processor import Event, EventProcessor, Unprocessable
from shared.messaging.tables import InboxRecord, OutboxRecord
from shared.messaging.uow import UnitOfWork


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Any]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/p.db")
    tables = [InboxRecord.__table__, OutboxRecord.__table__]  # type: ignore[attr-defined]
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=tables)
    yield make_session_factory(engine)
    await engine.dispose()


def _parse(raw: bytes) -> tuple[CloudEvent, Any]:
    event = CloudEvent.model_validate(orjson.loads(raw))
    return event, event.data


def _record(offset: int, event_type: str) -> RawRecord:
    value = CloudEvent.new_bytes(event_type, "urn:test", f"c{offset}", {"n": offset})
    return RawRecord("t", 0, offset, None, value)


def _processor(
    sessions: Any, calls: list[str], after: dict[str, Any]
) -> EventProcessor[UnitOfWork]:
    async def one(envelope: CloudEvent, body: Any, uow: UnitOfWork) -> None:
        calls.append(f"handle {envelope.type} {body['n']}")

    async def run(events: list[Event], uow: UnitOfWork) -> None:
        calls.append("handle run " + " ".join(str(body["n"]) for _, body in events))

    return EventProcessor(
        "test",
        lambda: UnitOfWork(sessions),
        {"erase": one, "other": one},
        _parse,
        batch_handlers={"ref.a": run, "ref.b": run, "identify": run},
        after_handlers=after,
    )


async def test_after_handlers_follow_their_events_handler_and_runs_stay_together(
    sessions: Any,
) -> None:
    calls: list[str] = []

    async def bookkeeping(events: list[Event], uow: UnitOfWork) -> None:
        calls.append("after " + " ".join(f"{e.type}:{body['n']}" for e, body in events))

    processor = _processor(
        sessions, calls, {"erase": bookkeeping, "ref.a": bookkeeping, "ref.b": bookkeeping}
    )
    types = ["ref.a", "ref.b", "ref.a", "other", "erase", "identify"]
    outcome = await processor.process([_record(i, t) for i, t in enumerate(types)])

    assert outcome.processed == 6
    assert calls == [
        "handle run 0 1 2",
        "after ref.a:0 ref.b:1 ref.a:2",  # one call for the run, as the handler had
        "handle other 3",  # no after handler: nothing follows
        "handle erase 4",
        "after erase:4",
        "handle run 5",
    ]


async def test_a_repeated_event_reaches_neither_handler_nor_after_handler(
    sessions: Any,
) -> None:
    calls: list[str] = []

    async def bookkeeping(events: list[Event], uow: UnitOfWork) -> None:
        calls.append(f"after {len(events)}")

    processor = _processor(sessions, calls, {"erase": bookkeeping})
    record = _record(7, "erase")
    await processor.process([record])
    outcome = await processor.process([record])

    assert outcome.duplicates == 1
    assert calls == ["handle erase 7", "after 1"]


async def test_an_after_handler_refusing_an_event_sets_only_that_event_aside(
    sessions: Any,
) -> None:
    calls: list[str] = []

    async def picky(events: list[Event], uow: UnitOfWork) -> None:
        for envelope, body in events:
            if body["n"] == 1:
                raise Unprocessable("data.n: one is refused", envelope.id)
        calls.append("after " + " ".join(str(body["n"]) for _, body in events))

    processor = _processor(sessions, calls, {"ref.a": picky})
    outcome = await processor.process([_record(i, "ref.a") for i in range(3)])

    assert (outcome.processed, outcome.dead_lettered) == (2, 1)
    assert outcome.reasons == ["data.n: one is refused"]
    # The first attempt was rolled back; the second ran without the refused event.
    assert calls == ["handle run 0 1 2", "handle run 0 2", "after 0 2"]
