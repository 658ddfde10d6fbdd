"""The session's infrastructure for the fault suite: one real Kafka broker and one real
PostgreSQL cluster (fsync on), both on free ports on 127.0.0.1 in a temporary directory.

Split from :mod:`tests.faults.cluster` (which re-exports :class:`Infra`): scenarios kill,
pause and restart these processes; the next scenario gets them back up. A watchdog process
kills what the session started if the test process itself dies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared import topics
from shared.kafka.admin import ensure_topics
from shared.kafka.local_broker import LocalKafka
from shared.pgcluster import PgCluster
from shared.topics import TopicSpec
from tests.faults.processes import REPO, kill_all

log = logging.getLogger(__name__)


class Infra:
    """The session's broker and PostgreSQL cluster (fsync on: a crash test must be honest)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.broker = LocalKafka(home / "kafka")
        pg_home = home / "pg"
        pg_home.mkdir(parents=True, exist_ok=True)
        for path in (home, pg_home):
            path.chmod(0o755)  # initdb runs as the postgres user when we are root
        self.pg = PgCluster(pg_home / "data", fsync=True)
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap_servers

    def start(self) -> None:
        # If this process dies without stop() (SIGKILL, CI's timeout), the watchdog stops
        # the broker and PostgreSQL (pg_ctl daemonises it, so nothing else would).
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.watchdog", str(os.getpid()), str(self.home)],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.start_kafka()
        self.pg.start()

    def start_kafka(self) -> None:
        # Tied to this process: a test run killed without teardown leaves no broker behind.
        self.broker.start(wait_seconds=180, tie_to_parent=True)

    def heal_kafka(self) -> None:
        self.broker.resume()
        if not self.broker.is_running():
            self.broker.start(wait_seconds=180, tie_to_parent=True)

    def stop_kafka(self) -> None:
        self.broker.resume()
        self.broker.stop()

    # -- what clients need (the secured cluster, tests/faults/secured.py, overrides these) ---

    def create_topics(self, specs: Sequence[TopicSpec], namespace: str) -> None:
        """The stack's topics (on the cluster: replicated, with its principals' ACLs)."""
        ensure_topics(self.bootstrap, specs)

    def client_env(self, service: str) -> dict[str, str]:
        """Extra environment for a service to connect (on the cluster: its principal)."""
        return {}

    def client_options(self, principal: str | None = None) -> dict[str, Any]:
        """aiokafka options for a client of the tests or benchmarks acting as ``principal``."""
        return {"bootstrap_servers": self.bootstrap}

    def inbound(self) -> tuple[str, str | None]:
        """Where partners' identifications go, and as whom: the shared inbound topic here."""
        return topics.INBOUND, None

    def heal(self) -> None:
        """Whatever a scenario did to them, the broker and PostgreSQL run again afterwards."""
        self.heal_kafka()
        if not self.pg.is_running():
            self.pg.start()

    def stop(self) -> None:
        """Everything this run started ends: services and stand-ins, broker, PostgreSQL."""
        leftovers = kill_all()
        if leftovers:
            log.warning("killed %d processes a scenario left running", leftovers)
        with contextlib.suppress(Exception):
            self.stop_kafka()
        with contextlib.suppress(Exception):
            self.pg.stop("immediate")
        if self.pg.is_running():  # pg_ctl itself failed or hung: no survivors either way
            with contextlib.suppress(Exception):
                self.pg.kill()
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait(10)

    def restart_broker(self) -> float:
        """Start the (killed) broker again on its port; seconds until it answered."""
        began = time.monotonic()
        self.broker.start(wait_seconds=180, tie_to_parent=True)
        return time.monotonic() - began

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg.port}/{database}"
