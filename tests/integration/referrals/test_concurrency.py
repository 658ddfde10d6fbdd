"""Never two open referrals for one carer and service: not under redelivery, not with two
service instances racing on the same carers, not when one of them stops mid-stream."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import text

from services.referrals.bootstrap import Referrals
from shared import topics
from shared.messaging.deadletter import RawRecord
from tests.harness import eventually
from tests.integration.referrals.conftest import StartReferrals
from tests.integration.referrals.support import carer_event, new_carer_id, referral_events, send

pytestmark = pytest.mark.kafka


async def _count(service: Referrals, sql: str) -> int:
    async with service.runtime.engine.connect() as connection:
        return int(await connection.scalar(text(sql)) or 0)


async def test_two_instances_handling_different_events_for_the_same_carers_open_one_each(
    start_referrals: StartReferrals, kafka_bootstrap: str, namespace: str
) -> None:
    """A rebalance can hand one carer's next event to a second instance while the first is
    still in its transaction: both check, both insert, the unique index lets one win, and
    the loser's batch completes without an error or a second ``referral.created``."""
    first = await start_referrals(consume=False)
    second = await start_referrals(consume=False)
    carers = [new_carer_id() for _ in range(20)]
    consent = {"share_with": ("council", "vasl"), "support_requested": ("carers_assessment",)}

    def records(event_type: str) -> list[RawRecord]:
        return [
            RawRecord(
                namespace + topics.REGISTRY,
                0,
                offset,
                carer_id.encode(),
                carer_event(carer_id, event_type=event_type, **consent).to_bytes(),  # type: ignore[arg-type]
            )
            for offset, carer_id in enumerate(carers)
        ]

    outcomes = await asyncio.gather(
        first.processor.process(records("carer.registered")),
        second.processor.process(records("carer.updated")),
    )
    assert [o.processed for o in outcomes] == [20, 20]
    assert [o.dead_lettered for o in outcomes] == [0, 0]
    assert await _count(first, "SELECT count(*) FROM referrals") == 40
    per_key = await _count(
        first, "SELECT count(*) FROM (SELECT DISTINCT carer_id, service FROM referrals) AS k"
    )
    assert per_key == 40
    created = await eventually(
        lambda: _created(kafka_bootstrap, namespace, expected=40), timeout=30
    )
    assert len({e["data"]["referral_id"] for e in created}) == 40


async def _created(bootstrap: str, namespace: str, expected: int) -> list:
    found = await referral_events(bootstrap, namespace, "referral.created")
    return found if len(found) >= expected else []


async def test_two_consuming_instances_with_redelivery_and_a_stop_refer_each_carer_once(
    start_referrals: StartReferrals, kafka_bootstrap: str, namespace: str
) -> None:
    first = await start_referrals()
    second = await start_referrals()
    carers = [new_carer_id() for _ in range(30)]
    registered = [carer_event(c, share_with=("vasl",)) for c in carers]
    updated = [carer_event(c, event_type="carer.updated", share_with=("vasl",)) for c in carers]
    await send(kafka_bootstrap, namespace, *registered[:15])
    await eventually(lambda: _handled_at_least(first, 15))
    await first.runtime.stop()  # its partitions move to the second instance mid-stream
    # Everything again (a producer retrying, a partner resending), then the rest.
    await send(kafka_bootstrap, namespace, *registered, *updated, *registered[15:])
    await eventually(lambda: _handled_at_least(second, 60), timeout=60)

    assert await _count(second, "SELECT count(*) FROM referrals") == 30
    assert await _count(second, "SELECT count(DISTINCT carer_id) FROM referrals") == 30
    created = await eventually(lambda: _created(kafka_bootstrap, namespace, expected=30))
    await asyncio.sleep(0.5)  # a second announcement, if there were one, would be out by now
    created = await referral_events(kafka_bootstrap, namespace, "referral.created")
    assert Counter(e["data"]["carer_id"] for e in created) == Counter(carers)


async def _handled_at_least(service: Referrals, count: int) -> bool:
    return await _count(service, "SELECT count(*) FROM inbox") >= count
