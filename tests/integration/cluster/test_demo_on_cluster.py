"""The README demo's story on the secured cluster (``scripts/demo --cluster``): every service
as its own process and its own Kafka principal, the partners posting over HTTP as ever.

Isolated from a developer's own stack: the module's throwaway cluster, services on free ports,
SQLite files and ``.run`` under a temporary directory. The e-mail and Notify stand-ins keep
their fixed ports (the demo reads the mailbox at :8025), so the test refuses to run beside a
stack that holds them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.kafka.cluster import KafkaCluster
from shared.kafka.local_broker import free_ports
from shared.ops import cluster_stack, demo, stack

STAND_IN_PORTS = (1025, 8025, 6011)


def _in_use(port: int) -> bool:
    with contextlib.closing(socket.socket()) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def on_cluster(
    cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, int]]:
    """The environment that points ``shared.ops.cluster_stack`` at the module's cluster."""
    busy = [port for port in STAND_IN_PORTS if _in_use(port)]
    if busy:
        pytest.fail(f"ports {busy} are taken (a local stack?): scripts/stack down first")
    work: Path = tmp_path_factory.mktemp("demo-on-cluster")
    ports = dict(zip(stack.SERVICES, free_ports(len(stack.SERVICES)), strict=True))
    patch = pytest.MonkeyPatch()
    patch.setattr(stack, "RUN", work / "run")
    patch.setenv("KAFKA_CLUSTER_HOME", str(cluster.home))
    for name, port in ports.items():
        patch.setenv(f"{name.upper()}_HTTP_PORT", str(port))
        patch.setenv(f"{name.upper()}_DATABASE_URL", f"sqlite+aiosqlite:///{work / name}.db")
    try:
        yield ports
    finally:
        _stop_children()  # the cluster fixture kills its nodes
        patch.undo()


def _stop_children() -> None:
    """``scripts/stack down``, for processes this test process started: they must be reaped
    here, or as zombies they would look alive to ``stack.down`` until it gives up."""
    pids = [pid for name in [*stack.SERVICES, *stack.DEVSERVERS] if (pid := stack._pid(name))]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for pid in pids:
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.1)
    cluster_stack.down(stop_cluster=False)  # the pid files and the marker


def test_the_demo_story_passes_with_each_service_as_its_own_principal(
    on_cluster: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.run(cluster=True) == 0
    told = capsys.readouterr().out
    assert "identified by gp C82001, hospital RWE" in told, told
    assert "Referrals: 1 referral(s): vasl" in told, told
    assert "Notifications: 1 message(s) to her" in told, told
    assert "Referral completed" in told, told
    assert "her reference: CC-" in told, told

    for name, port in on_cluster.items():
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
        assert health["status"] == "ok", health  # nothing denied, nothing failing
        pid = stack._pid(name)
        assert pid is not None, name
        environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"KAFKA_SASL_USERNAME=carers-{name}".encode() in environment, name
        assert b"KAFKA_SECURITY_PROTOCOL=SASL_SSL" in environment, name
