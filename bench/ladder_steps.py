"""The rungs of the benchmark ladder (``bench/ladder.py``), each measured the same way.

Every rung adds one layer to the one below, on the same broker with the same ~1 KB events:

1. ``fsync``: how many 1 KB write+fsync pairs the disk does per second (the floor under any
   durable commit: the broker's and PostgreSQL's);
2. ``raw``: aiokafka produce -> consume, idempotent ``acks=all`` producer (the ceiling): a
   plain ``AIOKafkaConsumer`` in the child process, committing after each batch;
3. ``noop``: a FastStream batch subscriber with the services' options that does nothing;
4. ``validate``: the same, parsing and validating every event (``parse_inbound``);
5. ``transact``: the same, through the services' ``EventProcessor``: one PostgreSQL
   transaction per batch with inbox claims and one outbox row per event, published by the
   outbox relay;
6. ``registry``: the registry service as its own process;
7. ``chain``: registry, referrals and notifications as processes, from identification to
   the notification handed to the SMTP sink or the Notify stub.

Rungs 2-5 run in a child process (``python -m bench.ladder_steps subscriber``) so that its CPU
time is its own; the parent asks it, over stdin, to count the next N records, and it answers
with one JSON line (finish time, CPU seconds, per-record latency). Every rung gets the same
warm-up (200 events) before it is timed, the raw ceiling included: until issue 18 it ran its
producer and consumer in the parent with no warm-up, which made the ratios to it unfair.

Clients take aiokafka options (``client``: bootstrap servers and, on the secured cluster, a
principal's SASL_SSL settings) rather than a bootstrap string, so every rung can run there too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared import topics
from shared.events import CloudEvent, is_valid_nhs_number
from tests.faults.workload import GP, Carer, _identified

REPO = Path(__file__).resolve().parents[1]
Payload = tuple[bytes, bytes]  # (key, value)


_NHS: list[str] = []


def nhs_number(index: int) -> str:
    """The ``index``-th valid NHS number from 9000000000 up: a stable, growable sequence."""
    candidate = 9_000_000_000 + (int(_NHS[-1]) - 8_999_999_999 if _NHS else 0)
    while len(_NHS) <= index:
        if is_valid_nhs_number(str(candidate)):
            _NHS.append(str(candidate))
        candidate += 1
    return _NHS[index]


def identifications(start: int, count: int) -> list[Payload]:
    """Carers ``start`` .. ``start + count - 1``'s first identification (~1 KB each); every
    carer is a different person, so a rung never matches one carer twice."""
    out = []
    for i in range(start, start + count):
        carer = Carer(i, nhs_number(i), f"carer{i}@example.org", f"07701{i % 10**6:06d}")
        out.append((carer.nhs_number.encode(), _identified(carer, GP, "ods:C82001").to_bytes()))
    return out


# -- figures ----------------------------------------------------------------------------------


def percentiles(latencies_ms: Sequence[float]) -> dict[str, float | None]:
    """p50 and p99 in milliseconds (None without data)."""
    if not latencies_ms:
        return {"p50_ms": None, "p99_ms": None, "samples": 0}
    ordered = sorted(latencies_ms)

    def at(q: float) -> float:
        return round(ordered[min(int(q * len(ordered)), len(ordered) - 1)], 1)

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "samples": len(ordered)}


@dataclass
class Rung:
    """One rung's figures: throughput, latency at fractions of it, CPU per event."""

    name: str
    what: str
    events: int = 0
    per_second: float = 0.0
    unit: str = "events/s"
    latency: dict[str, dict[str, float | None]] = field(default_factory=dict)
    cpu_us_per_event: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    ratio_to_raw: float | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "what": self.what,
            "events": self.events,
            "per_second": round(self.per_second, 1),
            "unit": self.unit,
            "latency": self.latency,
            "cpu_us_per_event": {k: round(v) for k, v in self.cpu_us_per_event.items()},
            "rss_mb": {k: round(v) for k, v in self.rss_mb.items()},
            "ratio_to_raw": None if self.ratio_to_raw is None else round(self.ratio_to_raw, 4),
            "notes": self.notes,
        }


# -- rung 1: the disk ------------------------------------------------------------------------


def fsync_rate(directory: Path, seconds: float = 3.0) -> float:
    """1 KB appended and fsynced, as often as the disk allows, for ``seconds``."""
    path = directory / f"fsync-probe-{os.getpid()}"
    block = os.urandom(1024)
    done = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        began = time.perf_counter()
        while time.perf_counter() - began < seconds:
            os.write(fd, block)
            os.fsync(fd)
            done += 1
        return done / (time.perf_counter() - began)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


# -- producing and reading ---------------------------------------------------------------------


async def produce(
    client: dict[str, Any], topic: str, payloads: Sequence[Payload], rate: float | None = None
) -> list[int]:
    """Send ``payloads`` (paced at ``rate`` per second if given); their CreateTimes in ms."""
    producer = AIOKafkaProducer(
        **client,
        acks="all",
        enable_idempotence=True,
        linger_ms=5 if rate is None else 0,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    try:
        futures = []
        began = time.monotonic()
        for n, (key, value) in enumerate(payloads):
            if rate is not None:
                ahead = began + n / rate - time.monotonic()
                if ahead > 0:
                    await asyncio.sleep(ahead)
            futures.append(await producer.send(topic, value, key=key))
        metadata = await asyncio.gather(*futures)
        return [m.timestamp for m in metadata]
    finally:
        await producer.stop()


async def read_topic(client: dict[str, Any], topic: str) -> list[Any]:
    """Every record now on ``topic`` (no group), for joining timestamps after a run."""
    consumer = AIOKafkaConsumer(**client, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        records: list[Any] = []
        deadline = time.monotonic() + 120
        while remaining and time.monotonic() < deadline:
            for tp, items in (await consumer.getmany(timeout_ms=500, max_records=5000)).items():
                records.extend(items)
                if items and items[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return records
    finally:
        await consumer.stop()


# -- rungs 2-5: the subscriber child process ---------------------------------------------------


class SubscriberProcess:
    """``python -m bench.ladder_steps subscriber`` as a child: count N records on request."""

    def __init__(
        self,
        mode: str,
        bootstrap: str,
        namespace: str,
        database_url: str | None,
        *,
        topic: str = topics.INBOUND,
        env: dict[str, str] | None = None,
    ):
        """``topic`` (without the namespace) is the one it reads; ``env`` adds the settings a
        client needs to connect (on the secured cluster: its principal)."""
        args = [sys.executable, "-m", "bench.ladder_steps", "subscriber", mode, bootstrap]
        args += [namespace, database_url or "", "--topic", topic]
        self.log = Path(tempfile.mkdtemp(prefix="ladder-")) / f"{mode}.log"
        self.process = subprocess.Popen(
            args,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("wb"),
            text=True,
            env={**os.environ, **(env or {}), "LOG_LEVEL": "WARNING"},
        )

    async def _line(self, timeout: float = 600) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), timeout)
        if not line:
            raise RuntimeError(f"subscriber exited: {self.log.read_text()[-3000:]}")
        return json.loads(line)  # type: ignore[no-any-return]

    async def ready(self) -> None:
        await self._line(120)

    async def count(
        self, client: dict[str, Any], topic: str, payloads: Sequence[Payload], rate: float | None
    ) -> dict[str, Any]:
        """Send ``payloads`` and return the child's report once it has handled them all
        (the child answers only then: a count that never completes raises on the timeout)."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{len(payloads)}\n")
        self.process.stdin.flush()
        await self._line(30)  # "counting"
        began = time.time()
        await produce(client, topic, payloads, rate)
        report = await self._line()
        report["per_second"] = len(payloads) / max(report["finished"] - began, 1e-6)
        return report

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.wait(10)


@dataclass
class _Chunk:
    """What the child is counting now: how many records it waits for, and what it saw."""

    want: int = 0
    seen: int = 0
    latencies: list[float] = field(default_factory=list)
    published_at_start: int = 0


async def _subscriber(
    mode: str, bootstrap: str, namespace: str, database_url: str, topic: str = topics.INBOUND
) -> None:
    """The child: a FastStream subscriber with the services' options (or, for ``raw``, a
    plain aiokafka consumer), reporting per chunk."""
    from faststream.kafka.annotations import KafkaMessage

    from shared.events import parse_inbound
    from shared.messaging.broker import make_broker, subscriber_options
    from shared.messaging.processor import EventProcessor, raw_records
    from shared.settings import ServiceSettings

    settings = ServiceSettings(
        service_name=f"ladder-{mode}",
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_namespace=namespace,
        database_url=database_url or "sqlite+aiosqlite:///:memory:",
        outbox_poll_seconds=0.2,
        log_level="WARNING",
    )
    chunk = _Chunk()
    runtime = None
    if mode == "raw":
        await _raw_consumer(settings, settings.topic(topic), chunk)
        return
    if mode == "transact":
        from sqlalchemy import text

        from shared.messaging.tables import InboxRecord, OutboxRecord
        from shared.messaging.uow import UnitOfWork
        from shared.runtime import ServiceRuntime

        runtime = ServiceRuntime.create(settings)
        async with runtime.engine.begin() as connection:
            for table in (InboxRecord.__table__, OutboxRecord.__table__):  # type: ignore[attr-defined]
                await connection.run_sync(table.create, checkfirst=True)
            await connection.execute(text("SELECT 1"))

        async def changed(envelope: CloudEvent, _body: Any, uow: UnitOfWork) -> None:
            data = {"carer_id": envelope.subject or ""}
            uow.publish(topics.REGISTRY, envelope.subject, CloudEvent.new(
                "carer.updated", "urn:carers:ladder", envelope.subject, data))  # fmt: skip

        processor = EventProcessor(
            "ladder", lambda: runtime.unit_of_work(UnitOfWork), {"carer.identified": changed},
            parse_inbound,
        )  # fmt: skip
        broker = runtime.broker
    else:
        broker = make_broker(settings)

    def settled() -> bool:
        if chunk.seen < chunk.want:
            return False
        if runtime is None:
            return True
        return runtime.relay.published - chunk.published_at_start >= chunk.want

    @broker.subscriber(settings.topic(topic), **subscriber_options(settings))
    async def handle(message: KafkaMessage) -> None:
        records = message.raw_message
        records = records if isinstance(records, tuple | list) else (records,)
        if mode == "validate":
            for record in records:
                parse_inbound(record.value)
        elif mode == "transact":
            await processor.process(raw_records(message))
        now = time.time() * 1000
        chunk.latencies.extend(now - r.timestamp for r in records)
        chunk.seen += len(records)

    if runtime is not None:
        await runtime.start()
    else:
        await broker.start()

    def restart() -> None:
        if runtime is not None:
            chunk.published_at_start = runtime.relay.published

    await _serve_chunks(chunk, settled, restart)
    if runtime is not None:
        await runtime.stop()
    else:
        await broker.stop()


async def _serve_chunks(
    chunk: _Chunk, settled: Callable[[], bool], restart: Callable[[], None] = lambda: None
) -> None:
    """The child's side of the protocol: say ready; for each N read from stdin, answer once
    N records are handled (``settled``) with the finish time, CPU seconds and latencies."""
    print(json.dumps({"ready": True}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line.strip():
            break
        chunk.want, chunk.seen, chunk.latencies = int(line), 0, []
        restart()
        cpu_before = time.process_time()
        print(json.dumps({"counting": True}), flush=True)
        while not settled():
            await asyncio.sleep(0.005)
        finished = time.time()
        print(json.dumps({
            "finished": finished,
            "cpu_seconds": time.process_time() - cpu_before,
            "latencies_ms": [round(x, 2) for x in chunk.latencies],
            "rss_mb": psutil.Process().memory_info().rss / 2**20,
        }), flush=True)  # fmt: skip


async def _raw_consumer(settings: Any, topic: str, chunk: _Chunk) -> None:
    """Rung 2's consumer: plain aiokafka in a group, batches of the services' size, a
    commit after each batch (what the services' subscribers do, minus the framework)."""
    from shared.messaging.broker import bootstrap_list, client_security_kwargs

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_list(settings),
        # A group the registry's principal may join on the secured cluster (its prefix).
        group_id=f"{settings.kafka_topic_namespace}carers-registry-ladder-raw",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=settings.kafka_batch_size,
        **client_security_kwargs(settings),
    )
    await consumer.start()

    async def consume() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=1000, max_records=settings.kafka_batch_size)
            now = time.time() * 1000
            for records in batch.values():
                chunk.latencies.extend(now - r.timestamp for r in records)
                chunk.seen += len(records)
            if batch:
                await consumer.commit()

    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        consuming = asyncio.create_task(consume())
        await _serve_chunks(chunk, lambda: chunk.seen >= chunk.want)
        consuming.cancel()
    finally:
        await consumer.stop()


# -- volume: a million identifications through the registry -----------------------------------


async def registry_volume(events: int, interval: float = 10.0) -> dict[str, Any]:
    """Stream ``events`` distinct identifications into one registry process on PostgreSQL
    (fsync on) and time it until every carer is stored and every outbox row published.

    Why its own runner: payloads are made as they are sent (a million held in memory would
    be ~1.5 GB), and progress is read every ``interval`` seconds, not every 50 ms, because
    ``count(*)`` over a million rows is itself work that would slow the registry down.
    """
    import asyncpg

    from bench.common import cpu_model, report
    from tests.faults.cluster import Infra, Stack

    home = Path(tempfile.mkdtemp(prefix="volume-"))
    infra = Infra(home)
    infra.start()
    stack = Stack(infra, "volume", home)
    progress: list[dict[str, float]] = []
    try:
        await stack.start({"registry": 1, "referrals": 0, "notifications": 0})
        registry = stack.instances["registry"][0].process
        connection = await asyncpg.connect(stack.dsn("registry"))
        cpu_before = registry.usage()[0]
        began = time.monotonic()
        sent = {"n": 0}

        async def send() -> None:
            producer = AIOKafkaProducer(
                bootstrap_servers=infra.bootstrap, acks="all", enable_idempotence=True,
                linger_ms=5, max_batch_size=256 * 1024,
            )  # fmt: skip
            await producer.start()
            try:
                step = 5000
                for start in range(0, events, step):
                    chunk = identifications(start, min(step, events - start))
                    futures = [
                        await producer.send(stack.topic(topics.INBOUND), value, key=key)
                        for key, value in chunk
                    ]
                    await asyncio.gather(*futures)
                    sent["n"] += len(chunk)
            finally:
                await producer.stop()

        sending = asyncio.create_task(send())
        last, last_at, peak_rss = 0, began, 0.0
        while True:
            await asyncio.sleep(interval)
            stored = await connection.fetchval("SELECT count(*) FROM carers")
            pending = await connection.fetchval("SELECT count(*) FROM outbox")
            now = time.monotonic()
            peak_rss = max(peak_rss, registry.usage()[1])
            point = {
                "seconds": round(now - began, 1),
                "sent": sent["n"],
                "stored": stored,
                "per_second_interval": round((stored - last) / (now - last_at), 1),
                "per_second_overall": round(stored / (now - began), 1),
                "outbox_pending": pending,
            }
            progress.append(point)
            print(json.dumps(point), flush=True)
            last, last_at = stored, now
            if stored >= events and pending == 0:
                break
            if not registry.alive():
                raise RuntimeError(f"registry died: {registry.tail()}")
        elapsed = time.monotonic() - began
        await sending
        cpu = registry.usage()[0] - cpu_before
        database_mb = await connection.fetchval("SELECT pg_database_size(current_database())")
        await connection.close()
        figures = {
            "events": events,
            "seconds": round(elapsed, 1),
            "per_second": round(events / elapsed, 1),
            "registry_cpu_us_per_event": round(cpu / events * 1e6),
            "registry_peak_rss_mb": round(peak_rss),
            "registry_database_mb": round(database_mb / 2**20),
            "cpu": cpu_model(),
            "load_average_after": round(os.getloadavg()[0], 1),
            "progress": progress,
        }
        path = report(f"registry_volume_{events}", figures)
        print(f"{events} identifications in {elapsed / 60:.1f} min: {events / elapsed:,.0f}/s; "
              f"registry CPU {figures['registry_cpu_us_per_event']} µs each, peak "
              f"{peak_rss:.0f} MB resident; database {figures['registry_database_mb']} MB; "
              f"written to {path}")  # fmt: skip
        return figures
    finally:
        await stack.close()
        infra.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ladder_steps")
    sub = parser.add_subparsers(dest="command", required=True)
    child = sub.add_parser("subscriber", help="run a ladder subscriber (used by bench.ladder)")
    child.add_argument("mode", choices=["raw", "noop", "validate", "transact"])
    child.add_argument("bootstrap")
    child.add_argument("namespace")
    child.add_argument("database_url", nargs="?", default="")
    child.add_argument("--topic", default=topics.INBOUND, help="the topic, without namespace")
    volume = sub.add_parser(
        "registry-volume", help="a million identifications through the registry"
    )
    volume.add_argument("--events", type=int, default=1_000_000)
    volume.add_argument("--interval", type=float, default=10.0, help="seconds between readings")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    if args.command == "registry-volume":
        asyncio.run(registry_volume(args.events, args.interval))
    else:
        asyncio.run(
            _subscriber(args.mode, args.bootstrap, args.namespace, args.database_url, args.topic)
        )


if __name__ == "__main__":
    main()
