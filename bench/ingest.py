"""Registry ingest beside the raw Kafka ceiling, on the same broker, in one run.

    .venv/bin/python -m bench.ingest [--events 20000]

1. raw: aiokafka produce -> consume of ~1 KB events (acks=all, idempotent producer), the
   most any consumer could do on this broker and machine;
2. registry: the registry service as its own process on PostgreSQL (fsync on, inbox and
   outbox on; SQLite when no PostgreSQL binaries), ingesting the same number of distinct
   identifications: messages/s until every carer is stored and every outbox row published,
   and the registry process's CPU time per identification.
Prints the figures and their ratio, and writes bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text

from bench.common import (
    bench_database,
    identification,
    kafka,
    namespace,
    nhs_numbers,
    postgres,
    report,
    start_service,
    wait_healthy,
)
from services.registry.__main__ import MIGRATIONS
from shared import topics
from shared.db import make_engine
from shared.kafka.local_broker import free_ports
from shared.migrations import upgrade_async


async def raw_ceiling(bootstrap: str, ns: str, payloads: list[bytes]) -> float:
    topic = ns + topics.INBOUND
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=ns + "raw",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=2000,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
    await consumer.start()
    await producer.start()
    while not consumer.assignment():
        await asyncio.sleep(0.05)
    started = time.perf_counter()

    async def send_all() -> None:
        futures = [
            await producer.send(topic, p, key=str(i).encode()) for i, p in enumerate(payloads)
        ]
        await asyncio.gather(*futures)

    sending = asyncio.create_task(send_all())
    received = 0
    while received < len(payloads):
        batch = await consumer.getmany(timeout_ms=1000, max_records=2000)
        received += sum(len(records) for records in batch.values())
        if batch:
            await consumer.commit()
    elapsed = time.perf_counter() - started
    await sending
    await producer.stop()
    await consumer.stop()
    return len(payloads) / elapsed


async def registry_rate(
    bootstrap: str,
    ns: str,
    database_url: str,
    payloads: list[tuple[bytes, bytes]],
    instances: int = 1,
) -> dict[str, float]:
    await upgrade_async(MIGRATIONS, database_url)
    ports = free_ports(instances)
    processes = [start_service("registry", bootstrap, ns, database_url, port) for port in ports]
    profiler = _profile(processes[0][0].pid)
    try:
        await wait_healthy(ports)
        await asyncio.sleep(1.0 + instances)  # let the consumer group settle on its partitions
        engine = make_engine(database_url)
        watched = [psutil.Process(p.pid) for p, _ in processes]
        cpu_before = sum(_cpu(p) for p in watched)
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
        )
        await producer.start()
        started = time.perf_counter()
        futures = [
            await producer.send(ns + topics.INBOUND, value, key=key) for key, value in payloads
        ]
        await asyncio.gather(*futures)
        await producer.stop()
        while True:
            async with engine.connect() as connection:
                carers = await connection.scalar(text("SELECT count(*) FROM carers"))
                pending = await connection.scalar(text("SELECT count(*) FROM outbox"))
            if carers == len(payloads) and pending == 0:
                break
            for process, log in processes:
                if process.poll() is not None:
                    raise RuntimeError(log.read_text()[-3000:])
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu = sum(_cpu(p) for p in watched) - cpu_before
        await engine.dispose()
        return {
            "per_second": len(payloads) / elapsed,
            "cpu_us_per_event": cpu / len(payloads) * 1e6,
            "rss_mb": max(p.memory_info().rss for p in watched) / 2**20,
        }
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            process.wait(30)
        if profiler is not None:
            profiler.wait(30)


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _profile(pid: int) -> subprocess.Popen[bytes] | None:
    """``BENCH_PYSPY=out.txt``: py-spy samples the first registry process (raw format)."""
    target = os.environ.get("BENCH_PYSPY")
    if not target:
        return None
    py_spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [str(py_spy), "record", "-r", "200", "-f", "raw", "-o", target, "--pid", str(pid)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def main(events: int, instances: int) -> None:
    numbers = nhs_numbers(events)
    identifications = [(n.encode(), identification(n, i).to_bytes()) for i, n in enumerate(numbers)]
    size = sum(len(v) for _, v in identifications) / events
    with kafka() as bootstrap, postgres() as cluster:
        raw = await raw_ceiling(
            bootstrap, namespace(bootstrap, "raw"), [v for _, v in identifications]
        )
        database_url, database = bench_database(cluster, "bench_registry")
        registry = await registry_rate(
            bootstrap, namespace(bootstrap, "reg"), database_url, identifications, instances
        )
    figures = {
        "events": events,
        "registry_processes": instances,
        "event_bytes": round(size),
        "database": database,
        "raw_kafka_per_second": round(raw),
        "registry_ingest_per_second": round(registry["per_second"]),
        "registry_cpu_us_per_event": round(registry["cpu_us_per_event"]),
        "registry_rss_mb": round(registry["rss_mb"]),
        "ratio_to_raw": round(registry["per_second"] / raw, 3),
    }
    path = report("ingest", figures)
    print(f"{events} events of ~{size:.0f} bytes, {instances} registry process(es) on {database}")
    print(f"raw aiokafka produce->consume (acks=all, idempotent): {raw:10.0f} msg/s")
    print(
        f"registry ingest (inbox + outbox, one record each):     "
        f"{registry['per_second']:10.0f} identifications/s  "
        f"({registry['per_second'] / raw:.1%} of raw)"
    )
    print(
        f"registry CPU per identification (all processes): {registry['cpu_us_per_event']:.0f} µs; "
        f"resident memory {registry['rss_mb']:.0f} MB"
    )
    print(f"written to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--instances", type=int, default=1, help="registry processes")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.events, arguments.instances))
