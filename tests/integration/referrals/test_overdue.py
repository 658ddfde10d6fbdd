"""Service levels: not accepted within N working days (bank holidays excluded) means
``referral.overdue``, once, flagged in the queue; across sweeps, instances and restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest

from services.referrals.bootstrap import Referrals
from shared.clock import VirtualClock
from tests.harness import eventually
from tests.integration.referrals.conftest import StartReferrals
from tests.integration.referrals.support import (
    carer_event,
    new_carer_id,
    referral_events,
    referrals_of,
    send,
)

pytestmark = pytest.mark.kafka
BST = timezone(timedelta(hours=1))
# Thursday 2 April 2026, before Good Friday (3 April) and Easter Monday (6 April).
MAUNDY_THURSDAY = datetime(2026, 4, 2, 10, 0, tzinfo=BST)


async def _overdue_events(bootstrap: str, namespace: str, count: int) -> list:
    found = await referral_events(bootstrap, namespace, "referral.overdue")
    return found if len(found) >= count else []


async def test_five_working_days_skip_easter_and_overdue_is_published_once(
    start_referrals: StartReferrals, kafka_bootstrap: str, namespace: str, token
) -> None:
    first = await start_referrals()
    late, prompt = new_carer_id(), new_carer_id()
    await send(
        kafka_bootstrap,
        namespace,
        carer_event(late, share_with=("vasl",), at=MAUNDY_THURSDAY),
        carer_event(prompt, share_with=("vasl",), at=MAUNDY_THURSDAY),
    )
    (waiting,) = await eventually(lambda: referrals_of(first, late))
    (accepted,) = await eventually(lambda: referrals_of(first, prompt))
    assert waiting.due_by == date(2026, 4, 13), "Tue 7 to Mon 13 April: Easter skipped"
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first.app), base_url="http://referrals"
    )
    vasl = token("vasl")
    assert (await api.post(f"/referrals/{accepted.referral_id}/accept", headers=vasl)).is_success
    await api.aclose()

    assert await first.sweep(datetime(2026, 4, 13, 23, 59, tzinfo=BST)) == 0
    second = await start_referrals(consume=False)
    midnight = datetime(2026, 4, 14, 0, 1, tzinfo=BST)  # still the 13th in UTC
    flagged = await asyncio.gather(first.sweep(midnight), second.sweep(midnight))
    assert sorted(flagged) == [0, 1], "two instances sweeping at once flag it once"
    assert await first.sweep(midnight + timedelta(days=3)) == 0
    await first.runtime.stop()
    restarted = await start_referrals(consume=False)
    assert await restarted.sweep(midnight + timedelta(days=10)) == 0, "the flag is stored"

    (event,) = await eventually(lambda: _overdue_events(kafka_bootstrap, namespace, 1))
    assert event["data"]["referral_id"] == waiting.referral_id
    assert event["data"]["status"] == "requested" and event["data"]["due_by"] == "2026-04-13"
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=restarted.app), base_url="http://referrals"
    )
    queue = await api.get("/referrals", params={"overdue": "true"}, headers=vasl)
    assert [r["referral_id"] for r in queue.json()] == [waiting.referral_id]
    assert queue.json()[0]["overdue"] is True
    on_time = await api.get("/referrals", params={"overdue": "false"}, headers=vasl)
    assert [r["referral_id"] for r in on_time.json()] == [accepted.referral_id]
    await api.aclose()
    await asyncio.sleep(0.5)
    assert len(await referral_events(kafka_bootstrap, namespace, "referral.overdue")) == 1


async def test_the_number_of_working_days_is_configurable(
    start_referrals: StartReferrals, kafka_bootstrap: str, namespace: str
) -> None:
    service = await start_referrals(overdue_working_days=2)
    carer_id = new_carer_id()
    friday = datetime(2026, 5, 1, 16, 0, tzinfo=BST)  # Monday 4 May is a bank holiday
    await send(kafka_bootstrap, namespace, carer_event(carer_id, share_with=("vasl",), at=friday))
    (referral,) = await eventually(lambda: referrals_of(service, carer_id))
    assert referral.due_by == date(2026, 5, 6)
    assert await service.sweep(datetime(2026, 5, 6, 17, 0, tzinfo=BST)) == 0
    assert await service.sweep(datetime(2026, 5, 7, 9, 0, tzinfo=BST)) == 1


async def test_the_service_sweeps_by_itself_while_it_runs(
    start_referrals: StartReferrals, kafka_bootstrap: str, namespace: str
) -> None:
    """The periodic sweep is part of the running app (its lifespan), on the service clock."""
    clock = VirtualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    service: Referrals = await start_referrals(clock=clock, overdue_sweep_seconds=0.2)
    carer_id = new_carer_id()
    await send(
        kafka_bootstrap,
        namespace,
        carer_event(carer_id, share_with=("vasl",), at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
    )
    await eventually(lambda: referrals_of(service, carer_id))
    async with service.app.router.lifespan_context(service.app):
        await asyncio.sleep(0.5)
        assert await referral_events(kafka_bootstrap, namespace, "referral.overdue") == []
        clock.set(datetime(2026, 3, 10, 8, 0, tzinfo=UTC))  # Tuesday after the due Monday
        (event,) = await eventually(lambda: _overdue_events(kafka_bootstrap, namespace, 1))
    assert event["data"]["carer_id"] == carer_id
