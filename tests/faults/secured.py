"""The fault suite's world on the secured three-node cluster instead of the single broker.

:class:`SecuredInfra` is :class:`~tests.faults.cluster.Infra` with a
:class:`~shared.kafka.cluster.KafkaCluster` (TLS, SCRAM, ACLs, replication 3,
``min.insync.replicas=2``) on free ports: a :class:`~tests.faults.cluster.Stack` on it creates
its topics and ACLs as the set-up super user, runs every service as its own principal
(``carers-<service>``), and partners' identifications go to the GP practice's own inbound
topic as that practice's principal, as in production. ``bench.ladder --cluster`` uses it.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared import topics
from shared.kafka import principals
from shared.kafka.admin import ensure_topics
from shared.kafka.cluster import KafkaCluster
from shared.kafka.cluster_node import MECHANISM, NODES
from shared.topics import TopicSpec
from tests.faults.cluster import Infra

GP_ORG = "C82001"  # the practice the workload's identifications come from (source ods:C82001)


class SecuredInfra(Infra):
    """PostgreSQL as in :class:`Infra`; Kafka is three secured nodes under ``home/cluster``."""

    def __init__(self, home: Path) -> None:
        super().__init__(home)
        self.cluster = KafkaCluster(home / "cluster", base_port=None)

    @property
    def bootstrap(self) -> str:
        return self.cluster.bootstrap_servers

    def start_kafka(self) -> None:
        self.cluster.start(wait_seconds=180, tie_to_parent=True)

    def heal_kafka(self) -> None:
        for node_id in NODES:
            node = self.cluster.node(node_id)
            node.resume()
            if not node.is_running():
                self.cluster.start_node(node_id, 180, tie=True)

    def stop_kafka(self) -> None:
        for node in self.cluster.nodes:  # throwaway data: no controlled shutdowns to wait out
            node.resume()
            node.kill()

    def create_topics(self, specs: Sequence[TopicSpec], namespace: str) -> None:
        """As the set-up super user: replication 3, ``min.insync.replicas=2``, and every
        principal's ACLs for this namespace (``principals.acl_table``)."""
        replicated = [
            TopicSpec(s.name, s.partitions, {**s.config, "min.insync.replicas": "2"}) for s in specs
        ]
        admin = self.cluster.kafka_python_options(principals.ADMIN)
        ensure_topics(self.bootstrap, replicated, 3, **admin)
        self.cluster.apply_acls(namespace)

    def client_env(self, service: str) -> dict[str, str]:
        return self.cluster.client_env(f"carers-{service}")

    def client_options(self, principal: str | None = None) -> dict[str, Any]:
        """aiokafka options as ``principal`` (the set-up super user when None)."""
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_SSL",
            "ssl_context": ssl.create_default_context(cafile=str(self.cluster.ca_file)),
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": principal or principals.ADMIN,
            "sasl_plain_password": self.cluster.credentials[principal or principals.ADMIN],
        }

    def inbound(self) -> tuple[str, str | None]:
        """The GP practice's own inbound topic, written as the practice."""
        return topics.partner_inbound("gp", GP_ORG), principals.partner_principal("gp", GP_ORG)
