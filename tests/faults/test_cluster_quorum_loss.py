"""Fault scenario on the secured cluster: two of three brokers SIGKILLed at once (below
``min.insync.replicas=2``, and, with combined KRaft nodes, below the controller quorum too) for
30 s while 10,000 events flow; then one comes back, and the third after the last send.

While two are down nothing can be acknowledged: ``acks=all`` needs two in-sync replicas. The
partner's producer waits; a send whose batch expires (its request timeout) is sent again, the
same event with the same id, until the broker acknowledges it. The registry's outbox keeps
every row its relay could not publish (the relay's sends fail after its 30 s request timeout,
the rows stay and are retried), so nothing the registry recorded is lost either. Figures are
printed as in the leader-kill scenario, plus how many sends the partner repeated and how many
records the relay published twice (same event id, dropped by consumers' inbox).

Run: ``nice -n 5 .venv/bin/python -m pytest -q -s tests/faults/test_cluster_quorum_loss.py``.
"""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared.kafka.cluster import KafkaCluster
from shared.kafka.cluster_node import NODES
from tests.faults.test_cluster_leader_kill import (
    EVENTS,
    GP,
    GP_TOPIC,
    busiest_leader,
    check_outcome,
    cluster,
    nhs_numbers,
    registry,
)
from tests.harness import identification
from tests.integration.cluster.conftest import security

__all__ = ["cluster", "registry"]  # the module fixtures: a cluster and a registry of our own

DOWN_SECONDS = 30.0
CHUNK = 500
FAULT_AT = 3_000  # acknowledged events before the two brokers go


async def send_until_acknowledged(
    producer: AIOKafkaProducer, events: list[tuple[bytes, bytes]], deadline: float
) -> int:
    """Send every (key, value); whatever fails (an expired batch, no leader) is sent again,
    unchanged, after a pause, as a partner following the contract would. Returns how many
    sends were repeated; raises if ``deadline`` (monotonic) passes first."""
    pending, resent = events, 0
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} events still unacknowledged at the deadline")
        outcomes: list[asyncio.Future[Any] | Exception] = []
        for key, value in pending:
            try:  # send() itself gives up when the batch it waits for never drains
                outcomes.append(await producer.send(GP_TOPIC, value, key=key))
            except KafkaError as error:
                outcomes.append(error)
        results = [
            outcome if isinstance(outcome, Exception) else await _settled(outcome)
            for outcome in outcomes
        ]
        pending = [e for e, r in zip(pending, results, strict=True) if isinstance(r, Exception)]
        if pending:
            resent += len(pending)
            await asyncio.sleep(1)
    return resent


async def _settled(delivery: asyncio.Future[Any]) -> Any:
    """The delivery's result, or its exception (returned, not raised)."""
    try:
        return await delivery
    except KafkaError as error:
        return error


@pytest.mark.timeout(900)  # a loaded machine: the scenario's own deadlines come first
async def test_two_of_three_brokers_down_for_30_s_loses_and_duplicates_nothing(
    cluster: KafkaCluster, registry: None
) -> None:
    victim = busiest_leader(cluster, GP_TOPIC)
    second, survivor = (n for n in NODES if n != victim)
    events = [
        (nhs.encode(), identification(person__nhs_number=nhs).to_bytes())
        for nhs in nhs_numbers(EVENTS)
    ]
    producer = AIOKafkaProducer(
        **security(cluster, GP),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=20_000,
    )
    loop = asyncio.get_running_loop()

    def bring_back(node: int) -> None:
        cluster.start_node(node, tie=True)
        print(f"\nnode {node} started again at {time.monotonic() - began:.0f} s")

    await producer.start()
    began = time.monotonic()
    acked = resent = 0
    try:
        for start in range(0, EVENTS, CHUNK):
            if start == FAULT_AT:
                cluster.node(victim).kill()
                cluster.node(second).kill()
                print(f"\nkilled nodes {victim} and {second} at {time.monotonic() - began:.0f} s; "
                      f"only node {survivor} runs")  # fmt: skip
                # Started from the event loop's thread: a JVM's parent-death signal follows
                # the thread that forked it (see the rolling-restart scenario).
                loop.call_later(DOWN_SECONDS, partial(bring_back, victim))
            chunk = events[start : start + CHUNK]
            resent += await send_until_acknowledged(producer, chunk, began + 600)
            acked += len(chunk)
    finally:
        await producer.stop()
        for node in (victim, second):
            if node not in cluster.running():
                cluster.start_node(node, tie=True)
    outage = f"{DOWN_SECONDS:.0f} s with two of three down"
    print(f"\nall sends acknowledged after {time.monotonic() - began:.1f} s ({outage})")
    await check_outcome(cluster, "quorum-loss", acked, began, resent)
    assert resent > 0, "the outage should have made the partner repeat some sends"
    assert sorted(cluster.running()) == list(NODES)
