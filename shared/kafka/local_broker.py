"""A real single-node Apache Kafka 4.x broker, run from Maven Central jars.

Why: our machines have no Docker engine and cannot fetch the release tarball, but Maven
Central has every jar the broker needs (recipe: shared/contracts/KAFKA-LOCAL.md). Testing
against the real broker, not a fake, is what catches ordering, compaction and rebalance bugs.

CLI: ``python -m shared.kafka.local_broker start|stop|status|logs|topics`` (``scripts/kafka``).
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from shared.kafka.jars import _tool, ensure_jars

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG4J_CONFIG = REPO_ROOT / "deploy" / "kafka" / "log4j2.properties"
DEFAULT_HOME = REPO_ROOT / ".kafka" / "dev"
DEFAULT_PORT = 9092
JVM_OPTS = [
    "-Xms256m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
]


def free_ports(count: int = 1) -> list[int]:
    """Distinct free TCP ports on 127.0.0.1 (all bound at once so they cannot repeat)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _wait_port_free(port: int, timeout: float = 10.0) -> None:
    """Give a just-killed broker's sockets a moment to close before failing loudly."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as s, contextlib.suppress(OSError):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the JVM binds
            s.bind(("127.0.0.1", port))
            return
        if time.monotonic() >= deadline:
            raise RuntimeError(f"port {port} on 127.0.0.1 is already in use")
        time.sleep(0.2)


def _die_with_parent() -> None:
    """Runs in the child before exec: ask Linux for SIGTERM when the parent dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _new_cluster_id() -> str:
    while True:  # StorageTool's format: URL-safe base64 UUID; a leading '-' reads as a flag
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


class LocalKafka:
    """One broker+controller process with its own data directory under ``home``.

    State lives in files (pid, bootstrap) so another process, such as the CLI's ``stop``,
    can find and control a broker it did not start.
    """

    jvm_options: tuple[str, ...] = tuple(JVM_OPTS)
    """A subclass caps the heap lower (three nodes of shared/kafka/cluster.py on one machine)."""

    def _launch_prefix(self) -> list[str]:
        """Command words before ``java`` (a cluster node in a network namespace: ``ip netns
        exec <ns>``, which execs java in place, so the pid stays the JVM's)."""
        return []

    def _format_options(self) -> list[str]:
        """``StorageTool format`` arguments after the command: cluster id, config, extras."""
        return ["-t", _new_cluster_id(), "-c", str(self.config_file)]

    def __init__(
        self, home: Path, port: int | None = None, controller_port: int | None = None
    ) -> None:
        self.home = Path(home).resolve()
        self._port = port or None
        self._controller_port = controller_port or None
        self._proc: subprocess.Popen[bytes] | None = None
        self.pid_file = self.home / "broker.pid"
        self.bootstrap_file = self.home / "bootstrap"
        self.log_file = self.home / "broker.log"
        self.config_file = self.home / "server.properties"
        self.data_dir = self.home / "data"

    @property
    def bootstrap_servers(self) -> str:
        """``127.0.0.1:PORT`` of this broker (read from ``home`` if started elsewhere)."""
        if self._port is None and self.bootstrap_file.exists():
            return self.bootstrap_file.read_text().strip()
        if self._port is None:
            raise RuntimeError(f"no broker has been started in {self.home}")
        return f"127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        if self._proc is not None:
            return self._proc.pid
        with contextlib.suppress(OSError, ValueError):
            return int(self.pid_file.read_text().strip())
        return None

    def is_running(self) -> bool:
        """True while our JVM lives (paused counts); guards against recycled pids.

        "Gone" must mean every JVM thread has exited, since only then are its sockets
        closed and its port free for a restart.
        """
        pid = self.pid
        if pid is None:
            return False
        if self._proc is not None:  # our child: reaped only after all its threads exit
            return self._proc.poll() is None
        proc = Path(f"/proc/{pid}")
        if not proc.exists():
            return False
        with contextlib.suppress(OSError, IndexError):
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):  # leader exited; other threads may still be closing
                return len(list((proc / "task").iterdir())) > 1
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            return str(self.config_file) in cmdline
        return False

    def start(self, wait_seconds: float = 60, *, tie_to_parent: bool = False) -> None:
        """Start (formatting storage on first use) and return once the broker answers.

        ``tie_to_parent`` (Linux) makes the JVM exit when this process dies, so a test run
        killed without teardown leaves no orphan broker; the CLI leaves it off.
        """
        if self.is_running():
            return
        libs = ensure_jars()
        java = _tool("java")
        self.home.mkdir(parents=True, exist_ok=True)
        if self._port is None:
            self._port = free_ports()[0]
        if self._controller_port is None:
            self._controller_port = next(p for p in free_ports(2) if p != self._port)
        for port in (self._port, self._controller_port):
            _wait_port_free(port)
        self._write_config()
        logs = f"-Dkafka.logs.dir={self.home / 'logs'}"
        base = [java, f"-Dlog4j2.configurationFile={LOG4J_CONFIG}", logs, "-cp", f"{libs}/*"]
        if not (self.data_dir / "meta.properties").exists():  # first start: format (static quorum)
            fmt = [*base, "kafka.tools.StorageTool", "format", "--ignore-formatted"]
            fmt += self._format_options()
            done = subprocess.run(fmt, capture_output=True, text=True, timeout=180, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}")
        if self.log_file.exists() and self.log_file.stat().st_size > 20_000_000:
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        cmd = [*self._launch_prefix(), java, *self.jvm_options, *base[1:], "kafka.Kafka"]
        cmd.append(str(self.config_file))
        with open(self.log_file, "ab") as log:
            log.write(f"\n=== starting {time.strftime('%Y-%m-%d %H:%M:%S')} ===\n".encode())
            log.flush()
            self._proc = subprocess.Popen(  # own session: survives the CLI, killable as a group
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                start_new_session=True,
                preexec_fn=_die_with_parent if tie_to_parent else None,
            )
        self.pid_file.write_text(f"{self._proc.pid}\n")
        self.bootstrap_file.write_text(self.bootstrap_servers + "\n")
        self._wait_ready(wait_seconds)

    def _wait_ready(self, wait_seconds: float) -> None:
        from shared.kafka.admin import wait_for_broker

        deadline = time.monotonic() + wait_seconds
        while True:
            if not self.is_running():
                raise RuntimeError(f"Kafka exited during start-up; log tail:\n{self.tail(40)}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise TimeoutError(
                    f"Kafka did not answer within {wait_seconds:.0f}s; log tail:\n{self.tail(40)}"
                )
            with contextlib.suppress(TimeoutError):
                wait_for_broker(self.bootstrap_servers, timeout=min(2.0, remaining))
                return

    def _write_config(self) -> None:
        port, cport = self._port, self._controller_port
        self.config_file.write_text(f"""# Written by shared/kafka/local_broker.py on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{cport}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={self.data_dir}
# Topics come only from shared/topics.py: a misspelt name must fail, not appear.
auto.create.topics.enable=false
num.partitions=6
# log.flush.* left at defaults: durability comes from acks, not fsync per message.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# After a kill the restarted broker waits out its old registration: 9 s by default.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
# Lets fault tests use short consumer sessions, so a killed member is replaced in seconds.
group.min.session.timeout.ms=2000
""")

    def _signal(self, sig: signal.Signals) -> None:
        pid = self.pid
        if pid is None:
            return
        try:
            os.killpg(pid, sig)  # own session: pgid == pid
        except ProcessLookupError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def _wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.is_running():
            if time.monotonic() >= deadline:
                return False
            if self._proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=0.2)
            else:
                time.sleep(0.2)
        return True

    def stop(self, timeout: float = 20) -> None:
        """Graceful shutdown (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        if self.is_running():
            self._signal(signal.SIGTERM)
            self._signal(signal.SIGCONT)  # a paused JVM cannot act on SIGTERM
            if not self._wait_gone(timeout):
                self._signal(signal.SIGKILL)
                self._wait_gone(10)
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL, as a crash would: for fault-injection tests (restart with ``start``)."""
        if self.is_running():
            self._signal(signal.SIGKILL)
            self._wait_gone(10)
        self.pid_file.unlink(missing_ok=True)

    def pause(self) -> None:
        """SIGSTOP: the broker hangs without closing sockets, like a network partition."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def tail(self, lines: int = 50) -> str:
        if not self.log_file.exists():
            return "(no log yet)"
        with open(self.log_file, errors="replace") as f:
            return "".join(collections.deque(f, maxlen=lines))


def main(argv: list[str] | None = None) -> int:
    """The ``scripts/kafka`` command; returns the process exit code."""
    common = argparse.ArgumentParser(add_help=False)  # --home before or after the command
    common.add_argument("--home", type=Path, default=argparse.SUPPRESS, help="broker directory")
    parser = argparse.ArgumentParser(prog="scripts/kafka", parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", parents=[common], help="start (no-op when running)")
    start.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    start.add_argument("--wait", type=float, default=120.0, help="seconds to wait for ready")
    sub.add_parser("stop", parents=[common], help="SIGTERM, then SIGKILL after 20 s")
    sub.add_parser("status", parents=[common], help="exit 0 and print bootstrap when running")
    sub.add_parser("topics", parents=[common], help="create the contract topics, list them")
    logs = sub.add_parser("logs", parents=[common], help="end of <home>/broker.log")
    logs.add_argument("-n", type=int, default=50, help="lines (default 50)")
    args = parser.parse_args(argv)
    home = getattr(args, "home", DEFAULT_HOME)
    broker = LocalKafka(home)

    def status() -> int:
        if broker.is_running():
            pid, bootstrap = broker.pid, broker.bootstrap_servers
            print(f"running  bootstrap={bootstrap}  pid={pid}  home={broker.home}")
            return 0
        print(f"not running (home={broker.home})")
        return 1

    try:
        if args.command == "status":
            return status()
        if args.command == "start":
            if broker.is_running():
                return status()
            broker = LocalKafka(home, port=args.port or None)
            began = time.monotonic()
            broker.start(wait_seconds=args.wait)
            print(f"started in {time.monotonic() - began:.1f}s")
            return status()
        if args.command == "stop":
            was = broker.is_running()
            broker.stop()
            print("stopped" if was else "was not running")
            return 0
        if args.command == "logs":
            print(broker.tail(args.n), end="")
            return 0
        if not broker.is_running():  # topics
            print("broker not running: start it with `scripts/kafka start`", file=sys.stderr)
            return 1
        from shared.kafka.admin import describe_topics, ensure_topics
        from shared.topics import TOPIC_NAMES

        created = ensure_topics(broker.bootstrap_servers)
        for info in describe_topics(broker.bootstrap_servers, TOPIC_NAMES).values():
            configs = " ".join(f"{k}={v}" for k, v in sorted(info.configs.items()))
            flag = "created" if info.name in created else "ok"
            print(f"{info.name:<28} partitions={info.partitions:<3} {flag:<8} {configs}")
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
