"""Fault scenario on the secured three-node cluster: kill -9 the leader of the busiest
partitions while 10,000 inbound events flow; nothing acknowledged is lost or duplicated.

The GP partner (its own principal) writes identifications to its inbound topic with the
services' producer safety (acks=all, idempotent); the registry (its own principal, SQLite)
registers them. Mid-run, the broker leading most of the topic's partitions is SIGKILLed, and
restarted after the last send. Figures are printed: sent, registered, lost, duplicated,
order violations (status snapshot versions per carer that do not increase).

Run: ``nice -n 5 .venv/bin/python -m pytest -q -s tests/faults/test_cluster_leader_kill.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared import topics
from shared.kafka import principals
from shared.kafka.admin import admin_client
from shared.kafka.cluster import KafkaCluster, temporary_cluster
from shared.kafka.local_broker import free_ports
from tests.harness import ServiceProcess, identification
from tests.integration.cluster.conftest import security

EVENTS = 10_000
GP = principals.partner_principal("gp", "C82001")
GP_TOPIC = topics.partner_inbound("gp", "C82001")


def nhs_numbers(count: int, start: int = 400_000_000) -> list[str]:
    """Valid NHS numbers (modulus 11 check digit), distinct: one carer each."""
    out: list[str] = []
    base = start
    while len(out) < count:
        digits = f"{base:09d}"
        base += 1
        check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            out.append(digits + str(check))
    return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    with temporary_cluster(tmp_path_factory.mktemp("kafka-cluster")) as started:
        yield started


@pytest.fixture(scope="module")
def registry(cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    workdir: Path = tmp_path_factory.mktemp("registry")
    (port,) = free_ports(1)
    env = {
        **cluster.client_env("carers-registry"),
        "REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'registry.db'}",
        "REGISTRY_HTTP_PORT": str(port),
        "OUTBOX_POLL_SECONDS": "0.1",
        "CARERS_ENV": "test",
        "LOG_LEVEL": "WARNING",
    }
    service = ServiceProcess("registry", env, port, workdir / "registry.log")
    service.start()
    try:
        asyncio.run(service.wait_healthy(120))
        yield
    finally:
        service.stop()


def busiest_leader(cluster: KafkaCluster, topic: str) -> int:
    """The node leading most of ``topic``'s partitions."""
    options = cluster.kafka_python_options(principals.ADMIN)
    with admin_client(cluster.bootstrap_servers, **options) as admin:
        (described,) = admin.describe_topics([topic])
    leaders = Counter(p.get("leader_id", p.get("leader")) for p in described["partitions"])
    return int(leaders.most_common(1)[0][0])


async def test_kill_9_of_the_busiest_leader_loses_and_duplicates_nothing(
    cluster: KafkaCluster, registry: None
) -> None:
    def crash(victim: int) -> None:
        cluster.node(victim).kill()  # SIGKILL, as a crash would
        print(f"\nkilled node {victim} (leader of most {GP_TOPIC} partitions)")

    await run_scenario(
        cluster, "leader-kill", crash, lambda victim: cluster.start_node(victim, tie=True)
    )


async def run_scenario(
    cluster: KafkaCluster,
    name: str,
    fault: Callable[[int], None],
    recover: Callable[[int], None],
) -> None:
    """Send EVENTS identifications; after 3,000, ``fault`` hits the node leading most of the
    partner topic's partitions; ``recover`` runs after the last send. Then count and check."""
    numbers = nhs_numbers(EVENTS)
    producer = AIOKafkaProducer(
        **security(cluster, GP), acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    began = time.monotonic()
    victim = busiest_leader(cluster, GP_TOPIC)
    acked = 0
    try:
        for chunk in range(0, EVENTS, 500):
            if chunk == 3_000:
                fault(victim)
            sends = []
            for nhs in numbers[chunk : chunk + 500]:
                event = identification(person__nhs_number=nhs)
                sends.append(await producer.send(GP_TOPIC, event.to_bytes(), key=nhs.encode()))
            results = await asyncio.wait_for(asyncio.gather(*sends), 120)
            acked += len(results)
    finally:
        await producer.stop()
    recover(victim)
    await check_outcome(cluster, name, acked, began)


async def read_distinct(
    cluster: KafkaCluster, principal: str, topic: str, want: int, timeout: float
) -> list[Any]:
    """Every record on ``topic`` read as ``principal`` from the start, until ``want``
    distinct event ids arrived (a re-published outbox row repeats an id) or ``timeout``."""
    consumer = AIOKafkaConsumer(
        topic, **security(cluster, principal), enable_auto_commit=False,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    records: list[Any] = []
    ids: set[str] = set()
    try:
        deadline = time.monotonic() + timeout
        while len(ids) < want and time.monotonic() < deadline:
            for items in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(items)
                ids.update(json.loads(r.value)["id"] for r in items if r.value)
        return records
    finally:
        await consumer.stop()


async def check_outcome(
    cluster: KafkaCluster, name: str, acked: int, began: float, resent: int = 0
) -> None:
    """Count what the registry made of the EVENTS identifications; print and assert.

    A record whose event id was seen before is a redelivery (the outbox relay publishes a row
    again when the broker's answer was lost): the contract makes consumers drop a repeated
    (source, id), so it is counted and printed but is not a duplicate. A duplicate is a second
    effect: a second ``carer.registered`` event for one carer, or a ``carer.updated``.
    """
    sent_seconds = time.monotonic() - began
    registered = await read_distinct(
        cluster, "carers-referrals", topics.REGISTRY, want=EVENTS, timeout=600
    )
    values = [json.loads(r.value) for r in registered if r.value]
    events = {e["id"]: e for e in values}
    redelivered = len(values) - len(events)
    # Every person is new, so each event must give exactly one carer.registered: a missing one
    # is a loss; a carer.updated, or a second carer.registered for a carer, a duplicate.
    kinds = Counter(e["type"] for e in events.values())
    carers = Counter(
        e["data"]["carer_id"] for e in events.values() if e["type"] == "carer.registered"
    )
    # Nobody of ours reads the status topic (partners do): the oracle reads it as the admin.
    statuses = await read_distinct(cluster, principals.ADMIN, topics.STATUS, EVENTS, 120)
    versions: dict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for record in statuses:
        if record.value and (event := json.loads(record.value))["id"] not in seen:
            seen.add(event["id"])
            versions[event["data"]["carer_id"]].append(int(event["data"]["version"]))
    order_violations = sum(
        1 for seq in versions.values() if any(b <= a for a, b in itertools.pairwise(seq))
    )
    lost = EVENTS - len(carers)
    duplicated = sum(n - 1 for n in carers.values()) + kinds["carer.updated"]
    print(
        f"cluster {name}: sent={EVENTS} acknowledged={acked} resent_by_partner={resent} "
        f"registered={len(events)} redelivered_same_id={redelivered} lost={lost} "
        f"duplicated={duplicated} order_violations={order_violations} "
        f"send_seconds={sent_seconds:.1f} total_seconds={time.monotonic() - began:.1f}"
    )
    assert acked == EVENTS
    assert (lost, duplicated, order_violations) == (0, 0, 0)
    assert len(events) == EVENTS
