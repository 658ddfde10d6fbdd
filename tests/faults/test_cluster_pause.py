"""Fault scenario on the secured cluster: SIGSTOP the leader of most of a partner topic's
partitions for longer than the broker session timeout (6 s) while 10,000 events flow, then
SIGCONT. The controller fences the hung broker, leaders move, producers retry (idempotent),
and nothing acknowledged is lost or duplicated. Figures printed as in the leader-kill scenario.

Run: ``nice -n 5 .venv/bin/python -m pytest -q -s tests/faults/test_cluster_pause.py``.
"""

from __future__ import annotations

import asyncio

from shared.kafka.cluster import KafkaCluster
from tests.faults.test_cluster_leader_kill import GP_TOPIC, cluster, registry, run_scenario

__all__ = ["cluster", "registry"]  # the module fixtures: a cluster and a registry of our own

PAUSE_SECONDS = 15.0


async def test_a_broker_hung_past_its_session_timeout_loses_and_duplicates_nothing(
    cluster: KafkaCluster, registry: None
) -> None:
    loop = asyncio.get_running_loop()

    def hang(victim: int) -> None:
        cluster.node(victim).pause()  # SIGSTOP: sockets stay open, nothing answers
        print(f"\npaused node {victim} (leader of most {GP_TOPIC} partitions)")
        loop.call_later(PAUSE_SECONDS, cluster.node(victim).resume)

    await run_scenario(cluster, "pause", hang, lambda victim: cluster.node(victim).resume())
