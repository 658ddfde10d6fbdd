"""Fault scenario on the secured cluster: a real network partition. Each node runs in its own
network namespace (``shared/kafka/netns.py``); after 3,000 of 10,000 identifications the
leader of most of the partner topic's partitions is cut off from the other two nodes and from
every client for 30 s (its host-side veth down), then reconnected.

Unlike a kill or a SIGSTOP, the cut node keeps running and keeps believing it leads; its
sockets neither answer nor reset. Expected: the controller fences it after the broker session
timeout (6 s), leaders move to the other two (``min.insync.replicas=2`` still met), the
partner's idempotent producer times out its requests to the cut node and retries on the new
leaders, so acknowledgements carry on during the cut; once reconnected, the node rejoins every
in-sync replica set. 0 lost, 0 duplicated, 0 order violations; figures printed as in the
leader-kill scenario, plus when leadership moved, what was acknowledged during the cut, and how
long the node took to catch up.

Needs root and ``ip netns`` (skipped with the reason otherwise; with ``CI=true`` it fails
instead, since CI runs as root). Every namespace, veth and the bridge are removed at the end,
even on failure.

Run: ``nice -n 5 .venv/bin/python -m pytest -q -s tests/faults/test_cluster_partition.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from kafka import KafkaProducer
from kafka.errors import KafkaError

from shared import topics
from shared.kafka import principals
from shared.kafka.admin import admin_client, ensure_topics
from shared.kafka.cluster_node import NODES
from shared.kafka.netns import (
    NetnsCluster,
    Network,
    namespaces_of,
    sweep,
    temporary_netns_cluster,
    unavailable,
)
from shared.topics import TopicSpec
from tests.faults.test_cluster_leader_kill import (
    EVENTS,
    GP,
    GP_TOPIC,
    busiest_leader,
    check_outcome,
    nhs_numbers,
    registry,
)
from tests.faults.test_cluster_quorum_loss import send_until_acknowledged
from tests.harness import identification
from tests.integration.cluster.conftest import security

__all__ = ["registry"]  # the registry of our own, on this module's cluster

CUT_SECONDS = 30.0
CHUNK = 500
FAULT_AT = 3_000  # acknowledged events before the cut
PROBE = "partition-probe"  # written by the set-up user through the other two during the cut
REPLICATED = (GP_TOPIC, topics.REGISTRY, topics.STATUS, PROBE)  # the topics the scenario writes


def _namespaces_or_skip() -> None:
    """Skip with the reason when namespaces cannot be made; in CI (root) that is a failure."""
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI runs as root and must be able to make network namespaces: {reason}")
    pytest.skip(f"network partition needs network namespaces: {reason}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetnsCluster]:
    _namespaces_or_skip()
    with temporary_netns_cluster(tmp_path_factory.mktemp("kafka-netns")) as started:
        subnet = started.network.x
        yield started
    assert subnet is not None and namespaces_of(subnet) == [], "namespaces left behind"


def _reachable(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def test_a_cut_isolates_one_namespace_both_ways_and_teardown_leaves_nothing() -> None:
    """The partition itself, without Kafka: a TCP server in node 1's namespace is reachable
    from the host and from node 2 until the cut, from neither during it, again after; the
    cut node still reaches itself. Destroy (and sweep, for a run that died) remove it all."""
    _namespaces_or_skip()
    network = Network(NODES)
    network.create()
    servers: list[subprocess.Popen[bytes]] = []
    try:
        for node in (1, 2):
            code = (
                "import socket,time\ns=socket.socket()\n"
                f"s.bind(('{network.address(node)}',7000));s.listen()\n"
                "while True:\n c,_=s.accept();c.close()"
            )
            ip = ["ip", "netns", "exec", network.namespace(node)]
            servers.append(subprocess.Popen([*ip, sys.executable, "-c", code]))

        def from_node(node: int, target: int) -> bool:
            probe = (
                "import socket,sys\ntry:\n"
                f" socket.create_connection(('{network.address(target)}',7000),timeout=2)\n"
                "except OSError: sys.exit(1)"
            )
            ip = ["ip", "netns", "exec", network.namespace(node)]
            return subprocess.run([*ip, sys.executable, "-c", probe], check=False).returncode == 0

        deadline = time.monotonic() + 10
        while not _reachable(network.address(1), 7000) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _reachable(network.address(1), 7000) and from_node(2, 1)
        network.cut(1)
        assert network.is_cut(1)
        assert not _reachable(network.address(1), 7000), "host still reaches the cut node"
        assert not from_node(2, 1) and not from_node(1, 2), "nodes still reach each other"
        assert from_node(1, 1) and _reachable(network.address(2), 7000)
        network.heal(1)
        assert _reachable(network.address(1), 7000, timeout=5) and from_node(2, 1)
    finally:
        for server in servers:
            server.kill()
            server.wait()
        subnet = network.x
        network.destroy()
    assert subnet is not None and namespaces_of(subnet) == []
    # A run killed without teardown: its lock is released with it, and the next run sweeps.
    dead = Network(NODES)
    dead.create()
    subnet = dead.x
    assert dead._lock is not None and subnet is not None
    dead._lock.close()
    assert subnet in sweep() and namespaces_of(subnet) == []


def _servers(cluster: NetnsCluster, via: list[int]) -> str:
    ports = cluster.layout["ports"]
    return ",".join(f"{cluster.node_host(n)}:{ports[str(n)]['client']}" for n in via)


def _written_through(cluster: NetnsCluster, via: list[int]) -> bool:
    """A fresh ``acks=all`` producer that knows only nodes ``via`` gets a record acknowledged:
    the two left meet ``min.insync.replicas=2`` and take writes while the third is cut off."""
    producer = KafkaProducer(
        bootstrap_servers=_servers(cluster, via), acks="all", request_timeout_ms=10_000,
        **cluster.kafka_python_options(principals.ADMIN),
    )  # fmt: skip
    try:
        for partition in range(3):  # every partition, so every new leader, must take it
            producer.send(PROBE, b"during the cut", partition=partition).get(timeout=15)
        return True
    except KafkaError:
        return False
    finally:
        producer.close(timeout=5)


def _partitions(cluster: NetnsCluster, via: list[int]) -> list[dict[str, Any]] | None:
    """Every partition of REPLICATED, asked only of nodes ``via`` (not the cut one)."""
    servers = _servers(cluster, via)
    options = cluster.kafka_python_options(principals.ADMIN)
    with contextlib.suppress(KafkaError, OSError), admin_client(servers, 10, **options) as admin:
        return [p for t in admin.describe_topics(list(REPLICATED)) for p in t["partitions"]]
    return None


def _leader(p: dict[str, Any]) -> int:
    return int(p.get("leader_id", p.get("leader", -1)))


def _isr(p: dict[str, Any]) -> list[int]:
    return list(p.get("isr_nodes", p.get("isr", [])))


def watch_failover(cluster: NetnsCluster, victim: int, until: float) -> dict[str, Any]:
    """While the victim is cut: is it unreachable from here, still running, and when does
    no partition name it leader any more (asked of the other two)."""
    seen: dict[str, Any] = {"unreachable": None, "failover_at": None, "written": False}
    port = int(cluster.layout["ports"][str(victim)]["client"])
    seen["unreachable"] = not _reachable(cluster.node_host(victim), port)
    others = [n for n in NODES if n != victim]
    while time.monotonic() < until and seen["failover_at"] is None:
        parts = _partitions(cluster, others)
        if parts and all(_leader(p) != victim for p in parts):
            seen["failover_at"] = time.monotonic()
            seen["written"] = _written_through(cluster, others)
        else:
            time.sleep(0.5)
    seen["still_running"] = cluster.node(victim).is_running()
    return seen


def wait_rejoined(cluster: NetnsCluster, victim: int, timeout: float) -> float | None:
    """Seconds from now (the reconnection) until the victim is back in the in-sync replicas
    of every partition, polled each half second; None if not within ``timeout``."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        parts = _partitions(cluster, list(NODES))
        if parts and all(victim in _isr(p) for p in parts):
            return time.monotonic() - began
        time.sleep(0.5)
    return None


@pytest.mark.timeout(900)  # a loaded machine: the scenario's own deadlines come first
async def test_a_broker_cut_off_for_30_s_rejoins_and_nothing_is_lost_or_duplicated(
    cluster: NetnsCluster, registry: None
) -> None:
    admin = cluster.kafka_python_options(principals.ADMIN)
    probe = TopicSpec(PROBE, 3, {"min.insync.replicas": "2"})
    await asyncio.to_thread(ensure_topics, cluster.bootstrap_servers, [probe], 3, **admin)
    victim = busiest_leader(cluster, GP_TOPIC)
    events = [
        (nhs.encode(), identification(person__nhs_number=nhs).to_bytes())
        for nhs in nhs_numbers(EVENTS)
    ]
    producer = AIOKafkaProducer(
        **security(cluster, GP),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=15_000,  # a request to the cut node is abandoned, then retried
    )
    loop = asyncio.get_running_loop()
    marks: dict[str, float] = {}
    acked = resent = 0
    watch: asyncio.Future[dict[str, Any]] | None = None
    rejoined: asyncio.Future[float | None] | None = None

    def heal() -> None:
        nonlocal rejoined
        cluster.heal(victim)
        marks["healed"], marks["acked_at_heal"] = time.monotonic(), acked
        rejoined = asyncio.ensure_future(asyncio.to_thread(wait_rejoined, cluster, victim, 300))
        print(f"\nnode {victim} reconnected at {marks['healed'] - began:.0f} s")

    await producer.start()
    began = time.monotonic()
    try:
        for start in range(0, EVENTS, CHUNK):
            if start == FAULT_AT:
                cluster.cut(victim)
                marks["cut"], marks["acked_at_cut"] = time.monotonic(), acked
                print(f"\ncut node {victim} (leader of most {GP_TOPIC} partitions) off at "
                      f"{marks['cut'] - began:.0f} s")  # fmt: skip
                loop.call_later(CUT_SECONDS, heal)
                until = marks["cut"] + CUT_SECONDS - 1
                watch = asyncio.ensure_future(
                    asyncio.to_thread(watch_failover, cluster, victim, until)
                )
            chunk = events[start : start + CHUNK]
            resent += await send_until_acknowledged(producer, chunk, began + 600)
            acked += len(chunk)
        marks["sent"] = time.monotonic()
    except BaseException:
        if "cut" in marks and "healed" not in marks:  # failed early: reconnect now
            heal()
        raise
    finally:
        await producer.stop()
    if "healed" not in marks:  # every send acknowledged during the cut: it still lasts 30 s
        await asyncio.sleep(marks["cut"] + CUT_SECONDS + 0.5 - time.monotonic())
    assert watch is not None and rejoined is not None
    seen, rejoin = await watch, await rejoined
    during = marks["acked_at_heal"] - marks["acked_at_cut"]
    failover = (seen["failover_at"] or float("nan")) - marks["cut"]
    print(
        f"\npartition: cut {CUT_SECONDS:.0f} s; leaders off node {victim} after {failover:.1f} s; "
        f"acknowledged during the cut={during:.0f}; partner resent={resent}; "
        f"node {victim} back in every ISR {rejoin if rejoin is None else round(rejoin, 1)} s "
        f"after reconnecting; all sends acknowledged {marks['sent'] - began:.1f} s after the "
        f"first (cut at {marks['cut'] - began:.1f} s, "
        f"reconnected at {marks['healed'] - began:.1f} s)"
    )
    await check_outcome(cluster, "partition", acked, began, resent)
    assert seen["unreachable"], "the cut node was still reachable from the host"
    assert seen["still_running"], "the cut node's JVM died: that is a crash, not a partition"
    assert seen["failover_at"] is not None, "leadership never moved off the cut node"
    assert seen["written"], "the two nodes left did not take an acks=all write during the cut"
    assert rejoin is not None, f"node {victim} did not rejoin every in-sync replica set"
    assert sorted(cluster.running()) == list(NODES)
