"""How the event processor hands events to batch handlers: runs per handler, in order."""

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
from shared.messaging.processor import Event, EventProcessor
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


async def test_types_sharing_a_batch_handler_are_one_run_and_keep_their_order(
    sessions: Any,
) -> None:
    calls: list[list[tuple[str, int]]] = []

    async def track(run: list[Event], uow: UnitOfWork) -> None:
        calls.append([(envelope.type, body["n"]) for envelope, body in run])

    async def single(envelope: CloudEvent, body: Any, uow: UnitOfWork) -> None:
        calls.append([(envelope.type, body["n"])])

    processor: EventProcessor[UnitOfWork] = EventProcessor(
        "test",
        lambda: UnitOfWork(sessions),
        {"other": single},
        _parse,
        batch_handlers={"referral.created": track, "referral.accepted": track},
    )
    types = ["referral.created", "referral.accepted", "referral.created", "other"]
    types += ["referral.accepted", "referral.created"]
    outcome = await processor.process([_record(i, t) for i, t in enumerate(types)])

    assert outcome.processed == 6
    assert calls == [
        [("referral.created", 0), ("referral.accepted", 1), ("referral.created", 2)],
        [("other", 3)],
        [("referral.accepted", 4), ("referral.created", 5)],
    ]
