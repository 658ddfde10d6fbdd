"""One node of the local production-shaped cluster, and the TLS material the nodes share.

Split from :mod:`shared.kafka.cluster` (the three-node cluster, which re-exports these names)
so each module stays short: here is what one node is (its configuration file, its storage
format with every SCRAM credential, when it counts as listening) and the local CA and node
certificate made at first start (``.kafka/`` is git-ignored: no key is ever committed).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shared.kafka import principals
from shared.kafka.jars import _tool, ensure_jars
from shared.kafka.local_broker import JVM_OPTS, LOG4J_CONFIG, LocalKafka

if TYPE_CHECKING:  # the cluster builds its nodes; a node reads its cluster's layout
    from shared.kafka.cluster import KafkaCluster

NODES = (1, 2, 3)
NODE_PRINCIPAL = "CN=carers-kafka-node"
MECHANISM = "SCRAM-SHA-512"
SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
HEAP = ("-Xms128m", "-Xmx384m")  # three nodes beside the services on a 2-core machine


def _run(cmd: list[str], cwd: Path) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{done.stdout}{done.stderr}")


def make_tls(tls: Path, password: str, ips: Sequence[str] = ()) -> None:
    """A local CA, one node certificate for 127.0.0.1/localhost (and ``ips``: the nodes'
    own addresses when each runs in a network namespace, shared/kafka/netns.py), and Java
    key/trust stores.

    One certificate for the three nodes keeps set-up short; each node still verifies the
    others (client certificates required on the replication and controller listeners).
    """
    tls.mkdir(parents=True, exist_ok=True)
    os.chmod(tls, 0o700)
    subj = "/CN=carers-local-kafka-ca"
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
          "-keyout", "ca.key", "-out", "ca.crt", "-subj", subj], tls)  # fmt: skip
    _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key",
          "-out", "node.csr", "-subj", f"/{NODE_PRINCIPAL}"], tls)  # fmt: skip
    (tls / "san.ext").write_text(
        f"subjectAltName=IP:127.0.0.1,DNS:localhost{''.join(f',IP:{ip}' for ip in ips)}\n"
        "extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n"
    )
    _run(["openssl", "x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
          "-CAcreateserial", "-days", "365", "-out", "node.crt",
          "-extfile", "san.ext"], tls)  # fmt: skip
    _run(["openssl", "pkcs12", "-export", "-in", "node.crt", "-inkey", "node.key",
          "-certfile", "ca.crt", "-name", "node", "-out", "node.p12",
          "-passout", f"pass:{password}"], tls)  # fmt: skip
    _run(["keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", "ca.crt",
          "-keystore", "truststore.p12", "-storetype", "PKCS12",
          "-storepass", password], tls)  # fmt: skip
    for name in ("ca.key", "node.key", "node.csr"):
        os.chmod(tls / name, 0o600)


class ClusterNode(LocalKafka):
    """One of the three nodes: LocalKafka's process handling, the cluster's configuration."""

    jvm_options = (*[o for o in JVM_OPTS if not o.startswith(("-Xms", "-Xmx"))], *HEAP)

    def __init__(self, cluster: KafkaCluster, node_id: int) -> None:
        self.cluster = cluster
        self.node_id = node_id
        ports = cluster.layout["ports"][str(node_id)]
        super().__init__(cluster.home / f"node{node_id}", ports["client"], ports["controller"])
        self.internal_port = ports["internal"]
        self.host = cluster.node_host(node_id)

    def _launch_prefix(self) -> list[str]:
        return self.cluster.launch_prefix(self.node_id)

    def _format_options(self) -> list[str]:
        options = ["-t", self.cluster.layout["cluster_id"], "-c", str(self.config_file)]
        for user, password in self.cluster.credentials.items():
            options += ["--add-scram", f"{MECHANISM}=[name={user},password={password}]"]
        return options

    def format(self) -> None:
        """Format storage with the cluster id and every SCRAM credential, once."""
        if (self.data_dir / "meta.properties").exists():
            return
        self.home.mkdir(parents=True, exist_ok=True)
        self._write_config()
        # kafka.logs.dir: without it log4j writes ./logs/server.log wherever we were started.
        logs = f"-Dkafka.logs.dir={self.home / 'logs'}"
        cmd = [_tool("java"), f"-Dlog4j2.configurationFile={LOG4J_CONFIG}", logs, "-cp"]
        cmd += [f"{ensure_jars()}/*", "kafka.tools.StorageTool", "format", "--ignore-formatted"]
        done = subprocess.run(
            cmd + self._format_options(), capture_output=True, text=True, timeout=180, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"formatting node {self.node_id} failed:\n{done.stdout}{done.stderr}"
            )

    def _write_config(self) -> None:
        layout, tls = self.cluster.layout, self.cluster.tls
        store_pw = layout["store_password"]
        host = self.cluster.node_host
        voters = ",".join(f"{n}@{host(n)}:{layout['ports'][str(n)]['controller']}" for n in NODES)
        port, iport, cport, ip = self._port, self.internal_port, self._controller_port, self.host
        self.config_file.write_text(f"""# Written by shared/kafka/cluster_node.py on every start.
process.roles=broker,controller
node.id={self.node_id}
controller.quorum.voters={voters}
listeners=CLIENT://{ip}:{port},INTERNAL://{ip}:{iport},CONTROLLER://{ip}:{cport}
advertised.listeners=CLIENT://{ip}:{port},INTERNAL://{ip}:{iport}
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
listener.security.protocol.map=CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL
sasl.enabled.mechanisms={MECHANISM}
listener.name.client.sasl.enabled.mechanisms={MECHANISM}
listener.name.client.scram-sha-512.sasl.jaas.config={SCRAM_LOGIN}
ssl.keystore.type=PKCS12
ssl.keystore.location={tls / "node.p12"}
ssl.keystore.password={store_pw}
ssl.key.password={store_pw}
ssl.truststore.type=PKCS12
ssl.truststore.location={tls / "truststore.p12"}
ssl.truststore.password={store_pw}
ssl.client.auth=none
listener.name.internal.ssl.client.auth=required
listener.name.controller.ssl.client.auth=required
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:{principals.ADMIN};User:{NODE_PRINCIPAL}
log.dirs={self.data_dir}
auto.create.topics.enable=false
num.partitions=6
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
group.min.session.timeout.ms=2000
""")
        os.chmod(self.config_file, 0o600)

    defer_wait = False
    """Set by the cluster to start all three JVMs at once and wait for them afterwards."""

    def _wait_ready(self, wait_seconds: float) -> None:
        if not self.defer_wait:
            self.wait_listening(wait_seconds)

    def wait_listening(self, wait_seconds: float) -> None:
        """Listening is enough here: a lone node cannot answer before a quorum is up, so the
        cluster waits for readiness once all nodes run (:meth:`KafkaCluster.wait_ready`)."""
        deadline = time.monotonic() + wait_seconds
        while True:
            if not self.is_running():
                raise RuntimeError(f"node {self.node_id} exited; log tail:\n{self.tail(40)}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, int(self._controller_port or 0)), timeout=1.0),
            ):
                return
            if time.monotonic() >= deadline:
                self.kill()
                raise TimeoutError(f"node {self.node_id} did not listen; log:\n{self.tail(40)}")
            time.sleep(0.2)
