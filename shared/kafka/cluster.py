"""A production-shaped local Kafka: three KRaft nodes, TLS, SASL/SCRAM-SHA-512 and ACLs.

Why: production (deploy/k8s/strimzi) runs three replicated brokers that authenticate every
client and authorise it per topic; the quick-start broker (``local_broker.py``) does none of
that. This runs the same jars in the production shape on 127.0.0.1, so the security settings,
the ACLs of ``shared/kafka/principals.py`` and replication under broker faults are tested here.

Shape of each node (``<home>/node<N>``, N = 1..3), all combined broker+controller:

- ``CLIENT`` listener: SASL_SSL, SCRAM-SHA-512, the only one clients use;
- ``INTERNAL`` (replication) and ``CONTROLLER`` listeners: TLS with client certificates, the
  nodes authenticate as ``CN=carers-kafka-node`` (a super user, as Strimzi's brokers are);
- ``StandardAuthorizer``, ``allow.everyone.if.no.acl.found=false``, super user ``admin`` for
  set-up only; replication factor 3, ``min.insync.replicas=2``, no unclean leader election.

A local CA, the node certificate and every principal's password are made at first start under
``<home>`` (``.kafka/`` is git-ignored: no key is ever committed). SCRAM credentials go into the
metadata log when storage is formatted (``StorageTool format --add-scram``).

CLI: ``scripts/kafka cluster start|stop|status|env P|kill N|pause N|resume N|start N``, and
``credentials P`` is the operator's command for a partner (or any principal): a new password,
set on the running cluster, and the client settings to hand over.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from shared.kafka import credentials, principals
from shared.kafka.cluster_node import (
    MECHANISM,
    NODES,
    ClusterNode,
    make_tls,
)
from shared.kafka.local_broker import (
    REPO_ROOT,
    _new_cluster_id,
    free_ports,
)

DEFAULT_HOME = REPO_ROOT / ".kafka" / "cluster"
DEFAULT_BASE_PORT = 29092  # clients: 29092-29094; replication +10; controllers +20


class KafkaCluster:
    """Three secured nodes under ``home``; state in files so the CLI can control them."""

    def __init__(self, home: Path = DEFAULT_HOME, base_port: int | None = DEFAULT_BASE_PORT):
        self.home = Path(home).resolve()
        self.tls = self.home / "tls"
        self._base_port = base_port
        self._layout: dict[str, Any] | None = None

    # -- set-up ----------------------------------------------------------------------------

    @property
    def layout_file(self) -> Path:
        return self.home / "cluster.json"

    @property
    def layout(self) -> dict[str, Any]:
        """Cluster id, ports, store password and every principal's password (made once)."""
        if self._layout is None:
            if self.layout_file.exists():
                self._layout = json.loads(self.layout_file.read_text())
            else:
                self._layout = self._new_layout()
        return self._layout

    def _new_layout(self) -> dict[str, Any]:
        if self._base_port:
            b = self._base_port
            ports = {str(n): {"client": b + n - 1, "internal": b + 9 + n, "controller": b + 19 + n}
                     for n in NODES}  # fmt: skip
        else:
            free = iter(free_ports(9))
            ports = {str(n): {k: next(free) for k in ("client", "internal", "controller")}
                     for n in NODES}  # fmt: skip
        users = [principals.ADMIN, *principals.ROWS]
        return {
            "cluster_id": _new_cluster_id(),
            "ports": ports,
            "store_password": secrets.token_hex(16),
            "credentials": {user: secrets.token_hex(16) for user in users},
        }

    def set_up(self) -> None:
        """Write the layout and make the TLS material, once (later starts reuse both)."""
        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        if not (self.tls / "truststore.p12").exists():
            own = sorted({self.node_host(n) for n in NODES} - {"127.0.0.1"})
            make_tls(self.tls, self.layout["store_password"], own)
        if not self.layout_file.exists():
            self.layout_file.write_text(json.dumps(self.layout, indent=2))
            os.chmod(self.layout_file, 0o600)

    @property
    def credentials(self) -> dict[str, str]:
        return dict(self.layout["credentials"])

    @property
    def nodes(self) -> list[ClusterNode]:
        return [ClusterNode(self, n) for n in NODES]

    def node(self, node_id: int) -> ClusterNode:
        if node_id not in NODES:
            raise ValueError(f"node: must be one of {NODES}")
        return ClusterNode(self, node_id)

    def node_host(self, node_id: int) -> str:
        """The address node ``node_id`` listens on (its namespace's, in shared/kafka/netns.py)."""
        return "127.0.0.1"

    def launch_prefix(self, node_id: int) -> list[str]:
        """Command words before ``java`` when starting a node (``ip netns exec <ns>``)."""
        return []

    @property
    def bootstrap_servers(self) -> str:
        ports = self.layout["ports"]
        return ",".join(f"{self.node_host(n)}:{ports[str(n)]['client']}" for n in NODES)

    @property
    def ca_file(self) -> Path:
        return self.tls / "ca.crt"

    # -- clients ---------------------------------------------------------------------------

    def client_env(self, principal: str) -> dict[str, str]:
        """The environment a service or tool runs with to connect as ``principal``: only the
        settings that already exist (``shared.settings.ServiceSettings``)."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": MECHANISM,
            "KAFKA_SASL_USERNAME": principal,
            "KAFKA_SASL_PASSWORD": self.credentials[principal],
            "KAFKA_SSL_CAFILE": str(self.ca_file),
        }

    def kafka_python_options(self, principal: str) -> dict[str, Any]:
        """kafka-python client options (admin, consumer, producer) for ``principal``."""
        return {
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": principal,
            "sasl_plain_password": self.credentials[principal],
            "ssl_cafile": str(self.ca_file),
        }

    # -- life cycle ------------------------------------------------------------------------

    def start(self, wait_seconds: float = 120, *, tie_to_parent: bool = False) -> None:
        """Start every stopped node, wait for the cluster, then apply topics and ACLs."""
        self.set_up()
        # Formatting (a JVM each, the slow part) side by side; the JVMs are started from this
        # thread: the kernel's parent-death signal follows the thread that forked, not the
        # process, so a node started from a pool thread would die with that thread.
        with ThreadPoolExecutor(len(NODES)) as pool:
            list(pool.map(lambda node: node.format(), self.nodes))
        nodes = self.nodes
        for node in nodes:
            node.defer_wait = True
            node.start(wait_seconds, tie_to_parent=tie_to_parent)
        for node in nodes:
            node.wait_listening(wait_seconds)
        self.wait_ready(wait_seconds)
        credentials.ensure(self)
        self.apply(namespace="")

    def start_node(self, node_id: int, wait_seconds: float = 60, *, tie: bool = False) -> None:
        self.node(node_id).start(wait_seconds, tie_to_parent=tie)

    def wait_ready(self, timeout: float = 120) -> None:
        from kafka.errors import KafkaError

        from shared.kafka.admin import admin_client, wait_for_broker

        began = time.monotonic()
        options = self.kafka_python_options(principals.ADMIN)
        wait_for_broker(self.bootstrap_servers, timeout, **options)
        while True:  # RF 3 needs every broker registered, not just the first to answer
            brokers: list[Any] = []
            # A node not yet listening on its client port refuses the admin's connection
            # (seen when the stack started a stopped cluster): not ready yet, ask again.
            with (
                contextlib.suppress(KafkaError),
                admin_client(self.bootstrap_servers, **options) as admin,
            ):
                brokers = admin.describe_cluster().get("brokers", [])
            if len(brokers) >= len(self.running()):
                return
            if time.monotonic() - began > timeout:
                raise TimeoutError(f"only {len(brokers)} brokers registered within {timeout}s")
            time.sleep(0.5)

    def apply(self, namespace: str = "") -> list[str]:
        """As the set-up super user: the contract topics (replication factor 3, min ISR 2)
        and every principal's ACLs from the one table; idempotent. Returns topics created."""
        from shared.kafka.admin import ensure_topics
        from shared.topics import TopicSpec, namespaced

        specs = [
            TopicSpec(s.name, s.partitions, {**s.config, "min.insync.replicas": "2"})
            for s in namespaced(namespace)
        ]
        admin_options = self.kafka_python_options(principals.ADMIN)
        created = ensure_topics(self.bootstrap_servers, specs, 3, **admin_options)
        self.apply_acls(namespace)
        return created

    def apply_acls(self, namespace: str = "") -> None:
        from kafka.admin import (
            ACL,
            ACLOperation,
            ACLPermissionType,
            ACLResourcePatternType,
            ResourcePattern,
            ResourceType,
        )

        from shared.kafka.admin import admin_client

        acls = [
            ACL(
                principal=f"User:{principal}",
                host="*",
                operation=ACLOperation[grant.operation.upper()],
                permission_type=ACLPermissionType.ALLOW,
                resource_pattern=ResourcePattern(
                    ResourceType[grant.resource.upper()],
                    grant.name,
                    ACLResourcePatternType[{"prefix": "PREFIXED"}.get(grant.pattern, "LITERAL")],
                ),
            )
            for principal, granted in principals.acl_table(namespace).items()
            for grant in sorted(granted)
        ]
        options = self.kafka_python_options(principals.ADMIN)
        with admin_client(self.bootstrap_servers, **options) as admin:
            result = admin.create_acls(acls)
        if result.get("failed"):
            raise RuntimeError(f"creating ACLs failed: {result['failed'][:3]}")

    def stop(self) -> None:
        """Graceful shutdown of every node at once (each waits out its own controlled stop)."""
        with ThreadPoolExecutor(len(NODES)) as pool:
            list(pool.map(lambda node: node.stop(), self.nodes))

    def running(self) -> list[int]:
        return [n.node_id for n in self.nodes if n.is_running()]


@contextlib.contextmanager
def temporary_cluster(home: Path) -> Iterator[KafkaCluster]:
    """A cluster on free ports for one test module, stopped (and its JVMs with it) at the end."""
    cluster = KafkaCluster(home, base_port=None)
    try:
        cluster.start(tie_to_parent=True)
        yield cluster
    finally:  # throwaway data: no need to wait out three controlled shutdowns
        for node in cluster.nodes:
            node.kill()


def main(argv: list[str] | None = None) -> int:
    """``scripts/kafka cluster ...``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="scripts/kafka cluster")
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("start", help="start all three nodes (or one: start N), topics and ACLs")
    sub.add_parser("stop", help="stop all nodes")
    sub.add_parser("status", help="which nodes run; the bootstrap servers")
    env = sub.add_parser("env", help="environment variables to connect as a principal")
    env.add_argument("principal", choices=[principals.ADMIN, *principals.ROWS])
    minted = sub.add_parser(
        "credentials", help="new password for a principal (a partner's); prints its settings"
    )
    minted.add_argument("principal", choices=list(principals.ROWS))
    for name, text in (("kill", "SIGKILL"), ("pause", "SIGSTOP"), ("resume", "SIGCONT")):
        sub.add_parser(name, help=f"{text} one node").add_argument("node", type=int)
    for action in sub.choices.values():
        if action.prog.endswith(" start"):
            action.add_argument("node", type=int, nargs="?")
    args = parser.parse_args(argv)
    cluster = KafkaCluster(args.home)
    try:
        if args.command == "start" and args.node is None:
            began = time.monotonic()
            cluster.start()
            print(f"started in {time.monotonic() - began:.1f}s")
        elif args.command == "start":
            cluster.start_node(args.node)
        elif args.command == "stop":
            cluster.stop()
        elif args.command == "credentials":
            credentials.mint(cluster, args.principal)
            print(f"# {args.principal}: a new password, set now (the old one no longer works)")
            print("# environment (the project's services and tools):")
            for key, value in cluster.client_env(args.principal).items():
                print(f"export {key}={value}")
            print("# Java / Kafka client properties:")
            print(credentials.client_properties(cluster, args.principal))
            return 0
        elif args.command == "env":
            for key, value in cluster.client_env(args.principal).items():
                print(f"export {key}={value}")
            return 0
        elif args.command in ("kill", "pause", "resume"):
            getattr(cluster.node(args.node), args.command)()
        running = cluster.running()
        print(f"nodes running: {running or 'none'}  bootstrap={cluster.bootstrap_servers}")
        return 0 if running or args.command == "stop" else 1
    except (RuntimeError, TimeoutError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
