"""Referrals made from ``carer.registered`` events, beside the raw Kafka ceiling, in one run.

    .venv/bin/python -m bench.referrals [--events 10000]

1. raw: aiokafka produce -> consume of the same ~1.5 KB events (acks=all, idempotent
   producer), the most any consumer could do on this broker and machine;
2. referrals: the referrals service as its own process on PostgreSQL (fsync on, inbox and
   outbox on; SQLite when no PostgreSQL binaries), reading the same number of distinct
   ``carer.registered`` events, each an adult carer consenting to VASL and the council and
   asking for a carers assessment, so each makes two referrals (VASL, carers assessment):
   events/s and referrals/s until every referral is stored and every ``referral.created``
   published, and the service's CPU time per event.
Prints the figures and their ratio, and writes bench/results/referrals.json.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from typing import Any

import psutil
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from bench.common import (
    bench_database,
    kafka,
    namespace,
    postgres,
    report,
    start_service,
    wait_healthy,
)
from bench.ingest import raw_ceiling
from services.referrals.__main__ import MIGRATIONS
from shared import topics
from shared.db import make_engine
from shared.events import CloudEvent
from shared.kafka.local_broker import free_ports
from shared.migrations import upgrade_async

STORY = (
    "I look after my mum most evenings and weekends. She has dementia and needs help with "
    "washing, meals and her medicines. I work full time and I am tired; I would like someone "
    "to talk to and a break now and then. "
) * 2


def registered(index: int) -> tuple[bytes, bytes]:
    """A ``carer.registered`` body as the registry publishes it (``Carer.summary()``)."""
    carer_id = str(uuid.uuid4())
    data: dict[str, Any] = {
        "carer_id": carer_id,
        "category": "adult_carer",
        "sources": [{"kind": "gp", "org_code": "C82001", "at": "2026-03-02T09:00:00+00:00"}],
        "consent": {"share_with": ["gp", "council", "vasl"], "contact": True},
        "support_requested": ["carers_assessment", "vasl_support"],
        "caring_for": [
            {"relationship": "parent", "needs": ["dementia"], "lives_with_carer": False}
        ],
        "story": STORY,
        "identified_by": [{"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"}],
        "contact": {
            "given_name": f"Carer{index}",
            "family_name": "O'Connor-Smith",
            "email": f"carer{index}@example.org",
            "mobile": "07700900123",
            "preferences": {"contact_channels": ["sms"], "easy_read": False, "language": "en"},
        },
        "version": 1,
    }
    event = CloudEvent.new("carer.registered", "urn:carers:registry", carer_id, data)
    return carer_id.encode(), event.to_bytes()


async def referrals_rate(
    bootstrap: str, ns: str, database_url: str, payloads: list[tuple[bytes, bytes]]
) -> dict[str, float]:
    await upgrade_async(MIGRATIONS, database_url)
    port = free_ports(1)[0]
    process, log = start_service("referrals", bootstrap, ns, database_url, port)
    expected = 2 * len(payloads)
    try:
        await wait_healthy([port])
        await asyncio.sleep(1.0)  # let the consumer group settle on its partitions
        engine = make_engine(database_url)
        cpu_before = psutil.Process(process.pid).cpu_times()
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
        )
        await producer.start()
        started = time.perf_counter()
        futures = [
            await producer.send(ns + topics.REGISTRY, value, key=key) for key, value in payloads
        ]
        await asyncio.gather(*futures)
        await producer.stop()
        while True:
            async with engine.connect() as connection:
                made = await connection.scalar(text("SELECT count(*) FROM referrals"))
                pending = await connection.scalar(text("SELECT count(*) FROM outbox"))
            if made == expected and pending == 0:
                break
            if process.poll() is not None:
                raise RuntimeError(log.read_text()[-3000:])
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu_after = psutil.Process(process.pid).cpu_times()
        await engine.dispose()
        cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
        return {
            "events_per_second": len(payloads) / elapsed,
            "referrals_per_second": expected / elapsed,
            "cpu_us_per_event": cpu / len(payloads) * 1e6,
            "rss_mb": psutil.Process(process.pid).memory_info().rss / 2**20,
        }
    finally:
        process.terminate()
        process.wait(30)


async def main(events: int) -> None:
    payloads = [registered(i) for i in range(events)]
    size = sum(len(v) for _, v in payloads) / events
    with kafka() as bootstrap, postgres() as cluster:
        raw = await raw_ceiling(bootstrap, namespace(bootstrap, "raw"), [v for _, v in payloads])
        database_url, database = bench_database(cluster, "bench_referrals")
        made = await referrals_rate(bootstrap, namespace(bootstrap, "ref"), database_url, payloads)
    figures = {
        "events": events,
        "event_bytes": round(size),
        "database": database,
        "raw_kafka_per_second": round(raw),
        "carer_registered_per_second": round(made["events_per_second"]),
        "referrals_created_per_second": round(made["referrals_per_second"]),
        "referrals_cpu_us_per_event": round(made["cpu_us_per_event"]),
        "referrals_rss_mb": round(made["rss_mb"]),
        "ratio_to_raw": round(made["events_per_second"] / raw, 3),
    }
    path = report("referrals", figures)
    print(f"{events} carer.registered events of ~{size:.0f} bytes, referrals on {database}")
    print(f"raw aiokafka produce->consume (acks=all, idempotent): {raw:10.0f} msg/s")
    print(
        f"referrals service (inbox + outbox, 2 referrals each):  "
        f"{made['events_per_second']:10.0f} events/s  "
        f"({made['events_per_second'] / raw:.1%} of raw)"
    )
    rate = made["referrals_per_second"]
    print(f"referrals created:                                     {rate:10.0f} referrals/s")
    print(
        f"referrals CPU per event: {made['cpu_us_per_event']:.0f} µs; "
        f"resident memory {made['rss_mb']:.0f} MB"
    )
    print(f"written to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().events))
