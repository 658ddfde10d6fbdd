"""Notifications: how fast messages go out, and how long a carer waits for one.

``python -m bench.notifications`` prints, and writes ``bench/results/notifications.json``:

1. **dispatched per second**: ``--count`` send records already decided (half email, half
   text) are dispatched through the real dispatcher to the local Notify, run as its own
   process with no rate limit (and email once more through the local SMTP sink). This is
   the sending machinery alone: claim, provider call, record, outbox event.
2. **the whole service**: ``--carers`` registrations, then two referrals each, fed at once;
   messages handed to Notify a second and CPU per message (consumer, dispatcher, relay).
3. **latency** from ``referral.created`` to the provider accepting the message, p50 and
   p99: the whole service (consumer, dispatcher, outbox) on the real broker, fed referrals at
   ``--rate`` a second for ``--seconds``; latency is the Notify stub's acceptance time minus
   the event's ``time`` (both this machine's clock).

PostgreSQL (a throwaway cluster, fsync on) when its binaries are here, else SQLite.
Figures, not pass/fail: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import kafka, namespace, postgres, report, wait_until
from services.notifications.__main__ import MIGRATIONS
from services.notifications.adapters.orm import NotificationRow
from services.notifications.bootstrap import Notifications, bootstrap
from services.notifications.settings import NotificationsSettings
from shared import topics
from shared.devservers import free_port
from shared.devservers.notify_stub import DEV_API_KEY, EMAIL_TEMPLATE_ID, SMS_TEMPLATE_ID
from shared.events import CloudEvent
from shared.migrations import upgrade_async


@contextlib.contextmanager
def server(module: str, *args: str, ready: str) -> Iterator[None]:
    """A dev server as its own process (it must not share our interpreter's time)."""
    process = subprocess.Popen(
        [sys.executable, "-m", f"shared.devservers.{module}", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(ready, timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(10)


def settings(bootstrap_servers: str, ns: str, database_url: str, **values: Any) -> Any:
    return NotificationsSettings(
        kafka_bootstrap_servers=bootstrap_servers,
        kafka_topic_namespace=ns,
        database_url=database_url,
        notify_api_key=DEV_API_KEY,
        notify_email_template_id=EMAIL_TEMPLATE_ID,
        notify_sms_template_id=SMS_TEMPLATE_ID,
        notify_rate_per_minute=0,  # the provider without a rate limit
        quiet_hours_start="00:00",  # the same: no quiet hours, whenever this runs
        quiet_hours_end="00:00",
        outbox_poll_seconds=0.1,
        **values,
    )


async def seed(service: Notifications, count: int, channels: tuple[str, ...]) -> None:
    async with service.unit_of_work() as uow:
        for n in range(count):
            channel = channels[n % len(channels)]
            uow.add_notification(
                NotificationRow(
                    notification_id=str(uuid.uuid4()),
                    idempotency_key=uuid.uuid4().hex,
                    carer_id=str(uuid.uuid4()),
                    event_id=str(uuid.uuid4()),
                    event_type="referral.created",
                    template_id="referral-created",
                    template_version=1,
                    channel=channel,
                    status="pending",
                    recipient="carer@example.org" if channel == "email" else "07700900123",
                    subject="We have passed on your details so you can get help",
                    body="Hello Siân,\n\nWe have passed your details to VASL. " * 8,
                    not_before=datetime.now(UTC),
                )
            )
        await uow.commit()


async def dispatch_rate(
    bootstrap_servers: str, database_url: str, count: int, **values: Any
) -> tuple[float, float]:
    """(messages a second, CPU microseconds of this process per message)."""
    ns = namespace(bootstrap_servers, "notifydispatch")
    await upgrade_async(MIGRATIONS, database_url)
    service = bootstrap(settings(bootstrap_servers, ns, database_url, dispatch=False, **values))
    channels = ("email", "sms") if values.get("email_provider") == "notify" else ("email",)
    await seed(service, count, channels)
    await service.runtime.start()  # the relay publishes notification.sent meanwhile
    try:
        started, cpu = time.perf_counter(), time.process_time()
        while await service.dispatcher.dispatch_once():
            pass
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert service.dispatcher.sent == count, f"sent {service.dispatcher.sent} of {count}"
    finally:
        await service.stop()
    return count / elapsed, cpu / count * 1e6


def registered(carer_id: str, channel: str) -> CloudEvent:
    data = {
        "carer_id": carer_id,
        "category": "adult_carer",
        "sources": [{"kind": "gp", "org_code": "C82001", "at": "2026-03-01T10:00:00Z"}],
        "consent": {"share_with": ["council", "vasl"], "contact": True},
        "contact": {
            "given_name": "Siân",
            "email": "carer@example.org",
            "mobile": "07700900123",
            "preferences": {"contact_channels": [channel], "easy_read": False, "language": "en"},
        },
    }
    return CloudEvent.new("carer.registered", "urn:carers:registry", carer_id, data)


def referral_created(carer_id: str, service: str = "vasl") -> CloudEvent:
    data = {"referral_id": str(uuid.uuid4()), "carer_id": carer_id, "service": service}
    return CloudEvent.new(
        "referral.created", "urn:carers:referrals", carer_id, data | {"status": "requested"}
    )


async def latencies(
    bootstrap_servers: str, database_url: str, stub_url: str, rate: float, seconds: float
) -> tuple[list[float], list[float]]:
    """Seconds from each ``referral.created`` to the provider accepting its message, and
    to its send record being created (the consumer's share of the wait)."""
    from aiokafka import AIOKafkaProducer

    ns = namespace(bootstrap_servers, "notifylatency")
    await upgrade_async(MIGRATIONS, database_url)
    service = bootstrap(
        settings(
            bootstrap_servers, ns, database_url, notify_base_url=stub_url, email_provider="notify"
        )
    )
    await service.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    count = int(rate * seconds)
    carers = [str(uuid.uuid4()) for _ in range(count)]
    try:
        for n, carer_id in enumerate(carers):
            await producer.send(
                ns + topics.REGISTRY,
                registered(carer_id, ("email", "sms")[n % 2]).to_bytes(),
                key=carer_id.encode(),
            )
        await producer.flush()
        await asyncio.sleep(3)  # contact details in place: the referrals are the measure
        sent_at: dict[str, datetime] = {}
        started = time.perf_counter()
        for n, carer_id in enumerate(carers):
            event = referral_created(carer_id)
            sent_at[event.id] = event.time
            await producer.send(ns + topics.REFERRALS, event.to_bytes(), key=carer_id.encode())
            await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))
        await producer.flush()

        async def all_sent() -> bool:
            async with service.unit_of_work() as uow:
                return bool((await uow.status_counts()).get("sent", 0) >= count)

        await wait_until(all_sent, 60, f"{count} messages sent", poll=0.1)
        async with service.unit_of_work() as uow:
            rows = await uow.notifications_for(status="sent", limit=count * 2)
    finally:
        await producer.stop()
        await service.stop()
    row_of = {row.notification_id: row for row in rows}
    async with httpx.AsyncClient(base_url=stub_url) as client:
        accepted = (await client.get("/_stub/notifications")).json()
    total, decided = [], []
    for n in accepted:
        row = row_of.get(n["reference"])
        if row is None:
            continue
        event_time = sent_at[row.event_id]
        total.append((datetime.fromisoformat(n["created_at"]) - event_time).total_seconds())
        assert row.created_at is not None, "a stored send record always has its creation time"
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        decided.append((created - event_time).total_seconds())
    return total, decided


async def service_rate(
    bootstrap_servers: str, database_url: str, stub_url: str, carers: int
) -> tuple[float, float]:
    """The whole service as in the chain: ``carers`` registrations, then two referrals each
    (VASL and a carers assessment), fed at once; (messages handed to Notify a second, CPU
    microseconds of this process per message) from the first referral to the last send."""
    from aiokafka import AIOKafkaProducer

    ns = namespace(bootstrap_servers, "notifyservice")
    await upgrade_async(MIGRATIONS, database_url)
    service = bootstrap(
        settings(
            bootstrap_servers, ns, database_url, notify_base_url=stub_url, email_provider="notify"
        )
    )
    await service.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", linger_ms=5)
    await producer.start()
    ids = [str(uuid.uuid4()) for _ in range(carers)]
    try:
        for n, carer_id in enumerate(ids):
            event = registered(carer_id, ("email", "sms")[n % 2])
            await producer.send(ns + topics.REGISTRY, event.to_bytes(), key=carer_id.encode())
        await producer.flush()
        referrals = [
            referral_created(carer_id, kind).to_bytes()
            for carer_id in ids
            for kind in ("vasl", "carers_assessment")
        ]

        async def contacts_stored() -> bool:
            async with service.unit_of_work() as uow:
                return len(await uow.contacts(ids)) == carers

        # Contact details in place first, as in the chain.
        await wait_until(contacts_stored, 60, f"{carers} carers' contact details", poll=0.1)
        started, cpu = time.perf_counter(), time.process_time()
        for n, value in enumerate(referrals):
            await producer.send(ns + topics.REFERRALS, value, key=ids[n // 2].encode())
        await producer.flush()

        async def all_sent() -> bool:
            async with service.unit_of_work() as uow:
                return bool((await uow.status_counts()).get("sent", 0) >= len(referrals))

        await wait_until(all_sent, 300, f"{len(referrals)} messages handed to Notify")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await producer.stop()
        await service.stop()
    return len(referrals) / elapsed, cpu / len(referrals) * 1e6


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(
    args: argparse.Namespace, bootstrap_servers: str, database: Callable[[str], str]
) -> dict[str, Any]:
    kind = database("probe").split("+", 1)[0]
    figures: dict[str, Any] = {"database": kind, "count": args.count}
    notify_port, smtp_port, sink_port = free_port(), free_port(), free_port()
    notify_url = f"http://127.0.0.1:{notify_port}"
    with server(
        "notify_stub", "--port", str(notify_port), "--rate-limit", "0",
        ready=f"{notify_url}/_stub/refused",
    ), server(
        "smtp_sink", "--smtp-port", str(smtp_port), "--http-port", str(sink_port),
        ready=f"http://127.0.0.1:{sink_port}/messages?to=nobody",
    ):  # fmt: skip
        rate, cpu = await dispatch_rate(
            bootstrap_servers,
            database("dispatch_notify"),
            args.count,
            notify_base_url=notify_url,
            email_provider="notify",
        )
        figures["dispatched_per_second_notify"] = round(rate)
        figures["cpu_us_per_message_notify"] = round(cpu)
        print(f"dispatched per second, Notify (email + text): {rate:.0f}, {cpu:.0f} µs CPU each")
        rate, cpu = await dispatch_rate(
            bootstrap_servers,
            database("dispatch_smtp"),
            args.count // 2,
            smtp_port=smtp_port,
            smtp_security="none",
        )
        figures["dispatched_per_second_smtp"] = round(rate)
        figures["cpu_us_per_message_smtp"] = round(cpu)
        print(f"dispatched per second, SMTP (email): {rate:.0f}, {cpu:.0f} µs CPU each")
        rate, cpu = await service_rate(
            bootstrap_servers, database("service"), notify_url, args.carers
        )
        figures["service_messages_per_second"] = round(rate)
        figures["service_cpu_us_per_message"] = round(cpu)
        print(
            f"whole service, {args.carers} carers x 2 referrals in -> messages to Notify: "
            f"{rate:.0f} a second, {cpu:.0f} µs CPU each (incl. this process's producer)"
        )
        delays, decided = await latencies(
            bootstrap_servers,
            database("latency"),
            notify_url,
            args.rate,
            args.seconds,
        )
    figures |= {
        "latency_events": len(delays),
        "latency_rate_per_second": args.rate,
        "latency_p50_ms": round(percentile(delays, 0.50) * 1000, 1),
        "latency_p99_ms": round(percentile(delays, 0.99) * 1000, 1),
        "latency_mean_ms": round(statistics.fmean(delays) * 1000, 1),
        "decided_p50_ms": round(percentile(decided, 0.50) * 1000, 1),
        "decided_p99_ms": round(percentile(decided, 0.99) * 1000, 1),
    }
    print(
        f"referral.created -> provider accepted, {len(delays)} referrals at {args.rate}/s: "
        f"p50 {figures['latency_p50_ms']} ms, p99 {figures['latency_p99_ms']} ms"
    )
    print(
        f"  of which referral.created -> send record committed: p50 {figures['decided_p50_ms']}"
        f" ms, p99 {figures['decided_p99_ms']} ms"
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.notifications")
    parser.add_argument("--count", type=int, default=4000, help="records to dispatch")
    parser.add_argument("--carers", type=int, default=1000, help="carers for the service run")
    parser.add_argument("--rate", type=float, default=40, help="referrals a second")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--sqlite", action="store_true", help="SQLite even if PostgreSQL is here")
    args = parser.parse_args(argv)
    with kafka() as bootstrap_servers, postgres() as cluster:
        folder = Path(tempfile.mkdtemp(prefix="bench-notify-"))

        def database(name: str) -> str:
            """A fresh database per measurement, so none counts another's records."""
            if cluster is None or args.sqlite:
                return f"sqlite+aiosqlite:///{folder}/{name}.db"
            cluster.create_database(name, exist_ok=True)
            return str(cluster.url(name))

        figures = asyncio.run(run(args, bootstrap_servers, database))
    print(f"written to {report('notifications', figures)}")


if __name__ == "__main__":
    main()
