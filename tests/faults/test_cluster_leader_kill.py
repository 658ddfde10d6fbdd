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

import pytest
from aiokafka import AIOKafkaProducer

from shared import topics
from shared.kafka import principals
from shared.kafka.admin import admin_client
from shared.kafka.cluster import KafkaCluster, temporary_cluster
from shared.kafka.local_broker import free_ports
from tests.harness import ServiceProcess, identification
from tests.integration.cluster.conftest import read_as, security

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
    sent_seconds = time.monotonic() - began

    registered = await read_as(
        cluster, "carers-referrals", topics.REGISTRY, until=EVENTS, timeout=600
    )
    # Every person is new, so each event must give exactly one carer.registered: a missing one
    # is a loss; a carer.updated, or a second carer.registered for a carer, a duplicate.
    kinds = Counter(json.loads(r.value)["type"] for r in registered)
    carers = Counter(
        json.loads(r.value)["data"]["carer_id"]
        for r in registered
        if json.loads(r.value)["type"] == "carer.registered"
    )
    # Nobody of ours reads the status topic (partners do): the oracle reads it as the admin.
    statuses = await read_as(cluster, principals.ADMIN, topics.STATUS, until=EVENTS, timeout=120)
    versions: dict[str, list[int]] = defaultdict(list)
    for record in statuses:
        if record.value:
            data = json.loads(record.value)["data"]
            versions[data["carer_id"]].append(int(data["version"]))
    order_violations = sum(
        1 for seq in versions.values() if any(b <= a for a, b in itertools.pairwise(seq))
    )
    lost = EVENTS - len(carers)
    duplicated = sum(n - 1 for n in carers.values()) + kinds["carer.updated"]
    print(
        f"cluster {name}: sent={EVENTS} acknowledged={acked} "
        f"registered={len(registered)} lost={lost} duplicated={duplicated} "
        f"order_violations={order_violations} send_seconds={sent_seconds:.1f} "
        f"total_seconds={time.monotonic() - began:.1f}"
    )
    assert acked == EVENTS
    assert (lost, duplicated, order_violations) == (0, 0, 0)
    assert len(registered) == EVENTS
