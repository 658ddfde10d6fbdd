"""Fault scenario on the secured cluster: a rolling restart of all three brokers (graceful
stop, start, a pause for the restarted node to catch up) while 10,000 events flow; nothing
acknowledged is lost or duplicated. Figures printed as in the leader-kill scenario.

Run: ``nice -n 5 .venv/bin/python -m pytest -q -s tests/faults/test_cluster_rolling_restart.py``.
"""

from __future__ import annotations

import asyncio

from shared.kafka.cluster import KafkaCluster
from shared.kafka.cluster_node import NODES
from tests.faults.test_cluster_leader_kill import cluster, registry, run_scenario

__all__ = ["cluster", "registry"]  # the module fixtures: a cluster and a registry of our own


async def test_a_rolling_restart_of_all_brokers_loses_and_duplicates_nothing(
    cluster: KafkaCluster, registry: None
) -> None:
    tasks: list[asyncio.Task[None]] = []

    async def roll() -> None:
        for node_id in NODES:
            node = cluster.node(node_id)
            await asyncio.to_thread(node.stop)  # SIGTERM: controlled shutdown
            # Started from the event loop's thread: the JVM's parent-death signal follows
            # the thread that forked it, and a pool thread ends.
            cluster.start_node(node_id, tie=True)
            print(f"\nrestarted node {node_id}")
            await asyncio.sleep(10)  # let it rejoin the ISR before the next one goes

    def begin(_victim: int) -> None:
        tasks.append(asyncio.get_running_loop().create_task(roll()))

    async def _finish() -> None:
        await asyncio.gather(*tasks)

    def finish(_victim: int) -> None:
        pass  # awaited below, after the scenario's sends

    await run_scenario(cluster, "rolling-restart", begin, finish)
    await _finish()
    assert sorted(cluster.running()) == list(NODES)
