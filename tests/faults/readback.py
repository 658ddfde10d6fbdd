"""The fault checker's eyes: waiting until the chain has settled, and reading back every
record of a topic, every stored row and every message the sinks received.

Split from :mod:`tests.faults.checks` (which judges what is read here) to keep each module
short. It reads what the platform left behind, never what it says about itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaConsumer
from kafka import TopicPartition as SyncTopicPartition

from shared.kafka.admin import admin_client
from tests.faults.cluster import SERVICES, Stack

log = logging.getLogger(__name__)
INBOUND_TYPES = ("carer.identified", "consent.updated")
HANDED_OVER = ("sent", "sending", "delivered")


# -- waiting for the chain to settle ------------------------------------------------------


async def _counts(stack: Stack) -> dict[str, int]:
    types = list(INBOUND_TYPES)
    return {
        "carers": await stack.scalar("registry", "SELECT count(*) FROM carers"),
        "inbound": await stack.scalar(
            "registry", "SELECT count(*) FROM inbox WHERE event_type = ANY($1)", types
        ),
        "referrals": await stack.scalar("referrals", "SELECT count(*) FROM referrals"),
        "handed_over": await stack.scalar(
            "notifications",
            "SELECT count(*) FROM notifications WHERE status = ANY($1)",
            list(HANDED_OVER),
        ),
        "outbox": sum([await stack.scalar(s, "SELECT count(*) FROM outbox") for s in SERVICES]),
    }


def group_lag(bootstrap: str, groups: dict[str, list[str]]) -> int:
    """Records the stack's consumer groups have not yet committed past, summed."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        with admin_client(bootstrap, timeout_s=10) as admin:
            total = 0
            for group, names in groups.items():
                partitions = [
                    SyncTopicPartition(name, p)
                    for name in names
                    for p in consumer.partitions_for_topic(name) or ()
                ]
                ends = consumer.end_offsets(partitions)
                committed = admin.list_group_offsets({group: None}).get(group, {})
                done = {(tp.topic, tp.partition): meta.offset for tp, meta in committed.items()}
                for tp in partitions:
                    total += max(ends[tp] - max(done.get((tp.topic, tp.partition), 0), 0), 0)
            return total
    finally:
        consumer.close()


async def settle(
    stack: Stack, carers: int, inbound: int, *, timeout: float, quiet: float = 3.0
) -> dict[str, int]:
    """Wait until every expected effect is recorded, outboxes are empty and no consumer
    group lags; then wait ``quiet`` seconds more and make sure that still holds (late
    duplicates would show). Returns the last counts; on timeout the checker still runs and
    reports what is missing."""
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    want = {"carers": carers, "inbound": inbound, "referrals": 2 * carers,
            "handed_over": 2 * carers, "outbox": 0}  # fmt: skip
    stable_since: float | None = None
    while time.monotonic() < deadline:
        try:
            counts = await _counts(stack)
            done = all(counts[k] >= v if k != "outbox" else counts[k] == 0 for k, v in want.items())
            if done:
                lag = await asyncio.to_thread(group_lag, stack.infra.bootstrap, stack.groups())
                done = lag == 0
                counts["lag"] = lag
        except Exception as error:  # PostgreSQL or the broker may be down right now
            counts = {"error": 1}
            log.info("not settled yet: %r", error)
            done = False
        if done:
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= quiet:
                return counts
        else:
            stable_since = None
        await asyncio.sleep(1.0)
    log.warning("chain did not settle within %.0f s: %s", timeout, counts)
    return counts


# -- reading everything back --------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


async def read_all(bootstrap: str, topic: str) -> list[Record]:
    """Every record on ``topic`` now, partition by partition, in offset order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=16 * 2**20,
        fetch_max_bytes=64 * 2**20,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            await consumer._client.force_metadata_update()
            found = consumer.partitions_for_topic(topic) or ()
            partitions = [TopicPartition(topic, p) for p in found]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Record] = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        deadline = time.monotonic() + 120
        while remaining and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, items in batch.items():
                records.extend(Record(tp.partition, r.offset, r.key, r.value) for r in items)
                if items and items[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        if remaining:
            raise AssertionError(f"could not read {topic} to its end: {remaining}")
        return records
    finally:
        await consumer.stop()


def _events(records: Iterable[Record]) -> list[tuple[Record, dict[str, Any]]]:
    """Parsed events in partition-then-offset order, the first copy of each id only."""
    seen: set[str] = set()
    out = []
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        if record.value is None:
            continue
        event = json.loads(record.value)
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        out.append((record, event))
    return out


async def provider_messages(stack: Stack) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(emails at the SMTP sink, notifications at the Notify stub)."""
    async with httpx.AsyncClient(timeout=60) as client:
        emails = (await client.get(f"{stack.smtp_url}/messages")).json()
        texts = (await client.get(f"{stack.notify_url}/_stub/notifications")).json()
    return emails, texts
