"""One leader per database: the lock the outbox relay and the notifications dispatcher share.
SQLite here (a file lock beside the database); the PostgreSQL advisory lock is exercised by
the integration tests that run two relays on one database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from shared.db import make_engine
from shared.messaging.leadership import Leadership, StoppedWaiting


async def test_a_second_leader_waits_until_the_first_lets_go(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/service.db")
    first = Leadership(engine, "notifications-dispatcher", poll_seconds=0.01)
    second = Leadership(engine, "notifications-dispatcher", poll_seconds=0.01)
    led: list[str] = []

    async def lead(name: str, lock: Leadership, hold: asyncio.Event) -> None:
        async with lock.held():
            led.append(name)
            await hold.wait()

    first_done, second_done = asyncio.Event(), asyncio.Event()
    one = asyncio.create_task(lead("first", first, first_done))
    await asyncio.sleep(0.05)
    two = asyncio.create_task(lead("second", second, second_done))
    await asyncio.sleep(0.1)
    assert led == ["first"], "the second waits while the first leads"
    first_done.set()
    await one
    await asyncio.sleep(0.1)
    assert led == ["first", "second"]
    second_done.set()
    await two
    await engine.dispose()


async def test_locks_of_different_names_do_not_exclude_each_other(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/service.db")
    relay = Leadership(engine, "outbox-relay-notifications", file_suffix="relay-lock")
    dispatcher = Leadership(engine, "notifications-dispatcher")
    async with relay.held(), dispatcher.held():
        files = {p.name for p in tmp_path.iterdir()}  # noqa: ASYNC240 - a test's tmp dir
        assert {"service.db.relay-lock", "service.db.notifications-dispatcher-lock"} <= files
    await engine.dispose()


async def test_a_waiter_asked_to_stop_gives_up_waiting(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/service.db")
    stopping = False
    holder = Leadership(engine, "outbox-relay-x", poll_seconds=0.01)
    waiter = Leadership(engine, "outbox-relay-x", poll_seconds=0.01, stopping=lambda: stopping)
    async with holder.held():
        waiting = asyncio.create_task(waiter.held().__aenter__())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        stopping = True
        with pytest.raises(StoppedWaiting):
            await asyncio.wait_for(waiting, 2)
    await engine.dispose()
