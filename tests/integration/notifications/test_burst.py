"""A burst of 10,000 notifications through the real broker never goes over Notify's limit.

Time is virtual and shared with the Notify stub (its own process, reading the clock from a
memory-mapped file), which enforces the real limit: 3,000 per rolling minute per key,
answering 429 beyond it. So the test checks the configured limit itself, to the request,
without waiting minutes and without any timing that depends on the machine's speed: a slower
machine takes longer in real time but the same virtual time. SQLite only: this is about the
limiter, which no database choice changes.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from services.notifications.__main__ import MIGRATIONS
from services.notifications.adapters.orm import ContactRow
from services.notifications.bootstrap import bootstrap
from services.notifications.domain.send_record import Status
from shared.clock import VirtualClock
from shared.devservers import free_port
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from shared.migrations import upgrade_async
from tests.harness import eventually
from tests.integration.notifications.conftest import MORNING, service_settings
from tests.integration.notifications.events import referral, registered, send

pytestmark = pytest.mark.kafka

CARERS = 2_500  # each referred to two services, each referral created then accepted
SERVICES = ("vasl", "carers_assessment")
BURST = CARERS * len(SERVICES) * 2  # 10,000 messages
LIMIT = 3_000


@contextlib.contextmanager
def notify_process(clock_file: Path) -> Iterator[str]:
    """The Notify stub as its own process (the test process is busy enough), on our clock."""
    port = free_port()
    command = [sys.executable, "-m", "shared.devservers.notify_stub", "--port", str(port)]
    command += ["--rate-limit", str(LIMIT), "--clock-file", str(clock_file)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/_stub/refused", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


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
    # Up to 8 requests may overlap while virtual time moves: at most 7 arrive later than
    # paced, well inside the bucket's 2% margin (60 a minute), so Notify still sees <= 3,000.
    clock = VirtualClock(MORNING, in_flight=8, share=tmp_path / "clock")
    database_url = f"sqlite+aiosqlite:///{tmp_path}/burst.db"
    with notify_process(tmp_path / "clock") as stub_url:
        settings = service_settings(
            kafka_bootstrap,
            namespace,
            database_url,
            smtp_sink,
            NotifyStub(),  # not started: only its key and template ids are used
            notify_base_url=stub_url,
            email_provider="notify",  # email and texts share one key, so one limit
            notify_rate_per_minute=LIMIT,
            notify_timeout_seconds=60,  # a loaded test process is slow, not Notify
            dispatch_batch=500,
            kafka_batch_size=1000,
        )
        await upgrade_async(MIGRATIONS, database_url)
        service = bootstrap(settings, clock=clock)
        await service.start()
        try:
            carers = [registered(channels=("sms",) if n % 2 else ("email",)) for n in range(CARERS)]
            await send(kafka_bootstrap, namespace, *carers)

            async def contacts_known() -> bool:
                async with service.runtime.sessions() as session:
                    query = select(func.count()).select_from(ContactRow)
                    return (await session.exec(query)).one() == CARERS

            await eventually(contacts_known, timeout=60, interval=0.5)
            # A burst of referrals, then their acceptances (as staff would work through them).
            created = [
                referral(carer.subject or "", service=name) for carer in carers for name in SERVICES
            ]
            accepted = [
                referral(
                    event.subject or "",
                    "referral.accepted",
                    service=event.data["service"],
                    referral_id=event.data["referral_id"],
                )
                for event in created
            ]
            burst = created + accepted
            await send(kafka_bootstrap, namespace, *burst)

            async def all_sent() -> bool:
                async with service.unit_of_work() as uow:
                    return (await uow.status_counts()).get(Status.SENT) == BURST

            await eventually(all_sent, timeout=150, interval=1)
        finally:
            await service.stop()

        async with httpx.AsyncClient(base_url=stub_url) as client:
            received = (await client.get("/_stub/notifications")).json()
            refused = (await client.get("/_stub/refused")).json()
    assert len(received) == BURST
    assert len({n["reference"] for n in received}) == BURST  # each exactly once
    assert refused == []  # not one 429
    times = [n["received_at"] for n in received]
    assert busiest_minute(times) <= LIMIT
    # ...and the limiter did not hold back far more than it had to (>= 2,700 a minute).
    assert max(times) - min(times) <= BURST / 2_700 * 60
