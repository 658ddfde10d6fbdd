"""A burst of 10,000 notifications through the real broker never goes over Notify's limit.

Time is virtual and shared with the Notify stub, which enforces the real limit (3,000 per
rolling minute per key, answering 429 beyond it). So the test checks the configured limit
itself, to the request, without waiting minutes and without any timing that depends on the
machine's speed: a slower machine takes longer in real time but the same virtual time.
SQLite only: this is about the limiter, which no database choice changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.notifications.__main__ import MIGRATIONS
from services.notifications.adapters.clock import VirtualClock
from services.notifications.bootstrap import bootstrap
from services.notifications.domain.model import Status
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from shared.migrations import upgrade_async
from tests.harness import eventually
from tests.integration.notifications.conftest import MORNING, service_settings
from tests.integration.notifications.events import referral, registered, send

pytestmark = pytest.mark.kafka

CARERS = 5_000  # two messages each (referral created, then accepted): 10,000
LIMIT = 3_000


def busiest_minute(times: list[float]) -> int:
    """The most requests in any rolling 60 seconds, as Notify counts them."""
    times = sorted(times)
    busiest, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - 60:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


async def test_a_burst_of_ten_thousand_notifications_stays_under_notifys_rate_limit(
    kafka_bootstrap: str, namespace: str, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    clock = VirtualClock(MORNING)
    database_url = f"sqlite+aiosqlite:///{tmp_path}/burst.db"
    with NotifyStub(rate_limit_per_minute=LIMIT, clock=clock.monotonic) as stub:
        settings = service_settings(
            kafka_bootstrap,
            namespace,
            database_url,
            smtp_sink,
            stub,
            email_provider="notify",  # email and texts share one key, so one limit
            notify_rate_per_minute=LIMIT,
            dispatch_batch=500,
            kafka_batch_size=1000,
        )
        await upgrade_async(MIGRATIONS, database_url)
        service = bootstrap(settings, clock=clock)
        await service.start()
        try:
            events = []
            for n in range(CARERS):
                carer = registered(channels=("sms",) if n % 2 else ("email",))
                carer_id = carer.subject or ""
                created = referral(carer_id)
                accepted = referral(
                    carer_id, "referral.accepted", referral_id=created.data["referral_id"]
                )
                events += [carer, created, accepted]
            await send(kafka_bootstrap, namespace, *events)

            async def all_sent() -> bool:
                async with service.unit_of_work() as uow:
                    return len(await uow.notifications_for(status=Status.SENT, limit=20_000)) == (
                        2 * CARERS
                    )

            await eventually(all_sent, timeout=150, interval=1)
        finally:
            await service.stop()

        received = stub.notifications()
        assert len(received) == 2 * CARERS
        assert len({n.reference for n in received}) == 2 * CARERS  # each exactly once
        assert stub.refused() == []  # not one 429
        times = [n.received_at for n in received]
        assert busiest_minute(times) <= LIMIT
        # ...and the limiter did not hold back far more than it had to (>= 2,700 a minute).
        assert max(times) - min(times) <= 2 * CARERS / 2_700 * 60
