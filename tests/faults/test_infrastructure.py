"""The broker and PostgreSQL fail under load; nothing accepted is lost or done twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.faults.cluster import SESSION_TIMEOUT_MS, Infra
from tests.faults.scenario import HARD_TIMEOUT, Run, run_scenario

pytestmark = HARD_TIMEOUT


async def test_the_broker_killed_and_restarted_mid_stream(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    async def kill_broker(run: Run) -> None:
        await run.sent_fraction(0.4)
        await asyncio.to_thread(infra.broker.kill)
        await asyncio.sleep(3)
        took = await asyncio.to_thread(infra.restart_broker)
        run.note(f"broker SIGKILLed at 40% sent; answering again {3 + took:.0f} s later")

    verdict, run = await run_scenario(infra, tmp_path, "broker-kill", events, kill_broker)
    assert verdict.ok, verdict.details()
    assert run.notes, "the broker was never killed"


async def test_the_broker_frozen_past_the_consumer_session_timeout(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    frozen = 2.5 * SESSION_TIMEOUT_MS / 1000

    async def freeze_broker(run: Run) -> None:
        await run.sent_fraction(0.4)
        infra.broker.pause()
        began = time.monotonic()
        try:
            await asyncio.sleep(frozen)
        finally:
            infra.broker.resume()
        run.note(f"broker SIGSTOPped for {time.monotonic() - began:.0f} s at 40% sent")

    verdict, run = await run_scenario(infra, tmp_path, "broker-pause", events, freeze_broker)
    assert verdict.ok, verdict.details()
    assert run.notes, "the broker was never paused"


async def test_postgresql_killed_and_restarted_mid_stream(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    async def kill_postgres(run: Run) -> None:
        await run.sent_fraction(0.4)
        await asyncio.to_thread(infra.pg.kill)
        await asyncio.sleep(3)
        began = time.monotonic()
        await asyncio.to_thread(infra.pg.start)
        run.note(
            f"PostgreSQL SIGKILLed at 40% sent; recovered and answering "
            f"{3 + time.monotonic() - began:.0f} s later"
        )

    verdict, run = await run_scenario(infra, tmp_path, "postgres-kill", events, kill_postgres)
    assert verdict.ok, verdict.details()
    assert run.notes, "PostgreSQL was never killed"
