"""Does the monitoring read model keep up with the chain? Its consume rate and its lag.

    .venv/bin/python -m bench.monitoring [--carers 3000] [--chain-rate 255] [--seconds 20]

The read model reads what the chain publishes. Per carer the chain publishes about six
events the read model counts: ``carer.registered``, a ``carer.status`` snapshot, two
``referral.created`` (VASL and carers assessment) and two ``notification.sent``. So:

1. burst: the monitoring service running (its own process, PostgreSQL with fsync on; SQLite
   without PostgreSQL binaries), all of ``--carers`` carers' events sent at once, timed from
   the first send until its consumer groups have no lag: events/s (a floor: sending is
   included);
2. keeping up: events produced at the chain's maximum rate (``--chain-rate`` carers/s; 255 is
   the whole chain's figure in README "Benchmarks") for ``--seconds``, the lag sampled every
   half second: the largest lag seen and the lag at the end (0 means it kept up).
Prints the figures and the ratio of the read model's rate to the chain's, and writes
bench/results/monitoring.json.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psutil
from aiokafka import AIOKafkaProducer

from bench.common import (
    bench_database,
    kafka,
    namespace,
    postgres,
    report,
    start_service,
    wait_healthy,
)
from services.monitoring.__main__ import MIGRATIONS
from services.monitoring.adapters.offsets import lag
from services.monitoring.entrypoints.kafka import groups
from services.monitoring.settings import MonitoringSettings
from shared import topics
from shared.events import CloudEvent
from shared.events import outbound as ev
from shared.kafka.local_broker import free_ports
from shared.migrations import upgrade_async

CHAIN_CARERS_PER_SECOND = 255  # README "Benchmarks": the whole chain, 23 November 2026
EVENTS_PER_CARER = 6
Record = tuple[str, bytes, bytes]  # (topic, key, value)


def carer_events(index: int) -> list[Record]:
    """What the chain publishes about one carer that the read model counts, as it keys it."""
    carer_id = str(uuid.uuid4())
    key = carer_id.encode()
    now = datetime.now(UTC)
    source = ev.Source(kind="gp", org_code="C82001", at=now)
    registered = ev.CarerRegistered(
        carer_id=carer_id, category="adult_carer", sources=[source], postcode_district="LE3"
    )
    status = ev.CarerStatus(
        carer_id=carer_id,
        category="adult_carer",
        identified_by=[source],
        consent=ev.ConsentSnapshot(share_with=["gp", "council", "vasl"], contact=True),
        version=1,
        updated_at=now,
    )
    out = [
        (topics.REGISTRY, CloudEvent.new("carer.registered", "bench", carer_id, registered)),
        (topics.STATUS, CloudEvent.new("carer.status", "bench", carer_id, status)),
    ]
    for service in ("vasl", "carers_assessment"):
        body = ev.ReferralCreated(referral_id=str(uuid.uuid4()), carer_id=carer_id, service=service)
        out.append((topics.REFERRALS, CloudEvent.new("referral.created", "bench", carer_id, body)))
    template = ev.TemplateRef(id="referral-made", version=1)
    for channel in ("sms", "email"):
        note = ev.NotificationSent.model_validate(
            {
                "notification_id": f"{index}-{channel}",
                "carer_id": carer_id,
                "template": template,
                "channel": channel,
            }
        )
        out.append(
            (topics.NOTIFICATIONS, CloudEvent.new("notification.sent", "bench", carer_id, note))
        )
    return [(topic, key, event.to_bytes()) for topic, event in out]


async def produce(bootstrap: str, ns: str, records: list[Record], per_second: float = 0) -> None:
    """Send ``records`` (paced at ``per_second`` when given) and wait for every ack."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        started = time.perf_counter()
        futures = []
        for i, (topic, key, value) in enumerate(records):
            futures.append(await producer.send(ns + topic, value, key=key))
            if per_second and i % 50 == 0:
                ahead = i / per_second - (time.perf_counter() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def run(carers: int, chain_rate: float, seconds: float) -> dict[str, Any]:
    backlog = [r for i in range(carers) for r in carer_events(i)]
    live = [r for i in range(int(chain_rate * seconds)) for r in carer_events(carers + i)]
    with kafka() as bootstrap, postgres() as cluster:
        ns = namespace(bootstrap, "monitoring")
        settings = MonitoringSettings(kafka_bootstrap_servers=bootstrap, kafka_topic_namespace=ns)
        consumer_groups = groups(settings)
        database_url, database = bench_database(cluster, "bench_monitoring")
        await upgrade_async(MIGRATIONS, database_url)
        port = free_ports(1)[0]
        process, log = start_service("monitoring", bootstrap, ns, database_url, port)
        try:
            await wait_healthy([port])
            await asyncio.sleep(2.0)  # let the four consumer groups settle on their partitions
            started = time.perf_counter()
            await produce(bootstrap, ns, backlog)  # a burst: at raw Kafka speed
            while await lag(settings, consumer_groups) > 0:
                if process.poll() is not None:
                    raise RuntimeError(log.read_text()[-3000:])
                await asyncio.sleep(0.2)
            burst = len(backlog) / (time.perf_counter() - started)
            cpu = psutil.Process(process.pid).cpu_times()
            samples: list[int] = []
            producing = asyncio.create_task(
                produce(bootstrap, ns, live, chain_rate * EVENTS_PER_CARER)
            )
            while not producing.done():
                samples.append(await lag(settings, consumer_groups))
                await asyncio.sleep(0.5)
            await producing
            behind = await lag(settings, consumer_groups)  # when the last event was acked
            settle = time.perf_counter()
            while await lag(settings, consumer_groups) > 0:
                await asyncio.sleep(0.1)
            after = psutil.Process(process.pid).cpu_times()
            busy = (after.user + after.system) - (cpu.user + cpu.system)
            return {
                "database": database,
                "carers": carers,
                "events": len(backlog),
                "burst_events_per_second": round(burst),
                "chain_carers_per_second": chain_rate,
                "chain_events_per_second": round(chain_rate * EVENTS_PER_CARER),
                "ratio_to_chain": round(burst / (chain_rate * EVENTS_PER_CARER), 2),
                "live_events": len(live),
                "live_lag_max": max(samples, default=0),
                "live_lag_end": behind,
                "drain_seconds_after_live": round(time.perf_counter() - settle, 2),
                "cpu_us_per_live_event": round(busy / max(len(live), 1) * 1e6),
                "rss_mb": round(psutil.Process(process.pid).memory_info().rss / 2**20),
            }
        finally:
            process.terminate()
            process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--carers", type=int, default=3000)
    parser.add_argument("--chain-rate", type=float, default=CHAIN_CARERS_PER_SECOND)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    figures = asyncio.run(run(args.carers, args.chain_rate, args.seconds))
    path = report("monitoring", figures)
    print(f"monitoring read model on {figures['database']}, {figures['events']} events backlog")
    print(
        f"burst: {figures['burst_events_per_second']} events/s; the chain at its maximum "
        f"publishes {figures['chain_events_per_second']} events/s for the read model "
        f"(x{figures['ratio_to_chain']})"
    )
    print(
        f"live at the chain's rate for {args.seconds:g}s ({figures['live_events']} events): "
        f"lag at most {figures['live_lag_max']} events, {figures['live_lag_end']} at the end; "
        f"{figures['cpu_us_per_live_event']} µs CPU per event; {figures['rss_mb']} MB"
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
