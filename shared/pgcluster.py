"""Throwaway PostgreSQL clusters for tests, benchmarks, fault tests and the local dev stack.

We run a real postmaster from the distribution's server binaries rather than Docker, so CI
needs nothing but ``apt-get install postgresql``. PostgreSQL refuses to run as root, so when we
are root (CI is) every server binary runs as the ``postgres`` system user via ``runuser`` and
the data directory is handed to that user. fsync stays on by default: a benchmark against a
cluster that never reaches the disk measures nothing we ship.

CLI for the dev stack: ``python -m shared.pgcluster start|stop|status|url`` (see ``main``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / ".data" / "postgres"
DEFAULT_PORT = 5433
PG_LIB_ROOT = Path("/usr/lib/postgresql")  # Debian/Ubuntu: one <version>/bin per major
_SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes; leave room for "/.s.PGSQL.NNNNN"


class PgBinariesNotFound(RuntimeError):
    """No initdb/pg_ctl/postgres found; the message says where we looked and how to fix it."""


def _version(bin_dir: Path) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", bin_dir.parent.name)]


def find_bin_dir() -> Path:
    """The newest server bin dir: ``PG_BIN`` if set, else PATH, else /usr/lib/postgresql/*/bin.

    ``PG_BIN`` never falls back silently: a typo there should fail loudly, not pick another
    version behind the user's back.
    """

    def complete(bin_dir: Path) -> bool:
        return all((bin_dir / name).is_file() for name in _SERVER_BINARIES)

    if override := os.environ.get("PG_BIN"):
        if complete(Path(override)):
            return Path(override)
        raise PgBinariesNotFound(f"PG_BIN={override} lacks one of {', '.join(_SERVER_BINARIES)}")
    on_path = shutil.which("pg_ctl")  # resolve /usr/local/bin symlinks to the versioned dir
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted(PG_LIB_ROOT.glob("*/bin"), key=_version, reverse=True)
    for candidate in candidates:
        if complete(candidate):
            return candidate
    raise PgBinariesNotFound(
        f"no initdb/pg_ctl/postgres on PATH or in {PG_LIB_ROOT}/*/bin "
        "(install with `apt-get install -y postgresql`, or set PG_BIN to the bin directory)"
    )


def free_port() -> int:
    """A port the kernel says is free now; ``start`` retries if another process wins the race."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _utf8_locale_available() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return any(line.strip().lower().replace("-", "") == "c.utf8" for line in out.splitlines())


class PgCluster:
    """One PostgreSQL cluster whose data directory is ``data_dir`` (PGDATA).

    The server log (``server.log``) and, if the path is short enough, the Unix socket live in
    ``data_dir`` too, so deleting the directory removes every trace. Clients use TCP on
    127.0.0.1; the socket only needs to exist somewhere we own, not in /var/run/postgresql.
    """

    def __init__(self, data_dir: Path, port: int | None = None, *, fsync: bool = True) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.fsync = fsync
        self.bin_dir = find_bin_dir()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            try:
                self._pg_user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError("running as root but there is no 'postgres' user") from exc
        if self.is_running():  # the running server's port is the truth, whatever was asked
            self.port = self._pidfile(3) or self.port

    # -- paths and process helpers ----------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def socket_dir(self) -> Path:
        if len(str(self.data_dir)) <= _SOCKET_PATH_MAX - 16:
            return self.data_dir
        digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"pgsock-{digest}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a server binary, as ``postgres`` when we are root; cwd=/ so it can stat its cwd."""
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(
            cmd, cwd="/", stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            out = f"{result.stdout}{result.stderr}{self.log_tail()}"
            raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{out}")
        return result

    def _own(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
        if self._as_postgres:
            os.chown(path, self._pg_user.pw_uid, self._pg_user.pw_gid)

    def _pidfile(self, line: int) -> int | None:
        """A number from postmaster.pid: line 0 is the postmaster's pid, line 3 its port."""
        try:
            value = (self.data_dir / "postmaster.pid").read_text().splitlines()[line].strip()
        except (OSError, IndexError):
            return None
        return int(value) if value.isdigit() else None

    @staticmethod
    def _alive(pid: int) -> bool:
        """True for a live postgres process; zombies count as dead (PID 1 may never reap them)."""
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return False
        comm, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
        return state not in "ZX" and comm.startswith("postgres")

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
            return f"\n--- {self.log_path} ---\n" + "\n".join(tail)
        return ""

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The postmaster's pid, or None when it is not running (a stale pid file is ignored)."""
        pid = self._pidfile(0)
        return pid if pid is not None and self._alive(pid) else None

    def is_running(self) -> bool:
        return self.pid is not None

    def init(self) -> bool:
        """initdb unless the cluster exists already; returns whether it created one."""
        if (self.data_dir / "PG_VERSION").exists():
            return False
        self._own(self.data_dir)
        if self._as_postgres:
            probe = ["runuser", "-u", "postgres", "--", "test", "-w", str(self.data_dir)]
            if subprocess.run(probe, cwd="/", check=False).returncode != 0:
                raise RuntimeError(
                    f"user 'postgres' cannot reach {self.data_dir}: some parent directory is "
                    "not searchable by it (e.g. a 0700 dir of root's); chmod o+x it or move"
                )
        locale = "C.UTF-8" if _utf8_locale_available() else "C"
        args = ["-D", str(self.data_dir), "--auth=trust", "-U", "postgres", "--encoding=UTF8"]
        self._run("initdb", *args, f"--locale={locale}", *([] if self.fsync else ["--no-sync"]))
        return True

    def start(self, wait: float = 30) -> PgCluster:
        """Start the postmaster and return once a real client connection succeeds.

        pg_ctl's own wait catches a postmaster that dies on start-up; the connection poll then
        proves the TCP listener works. A port chosen for us is re-picked if someone else
        grabbed it between ``free_port`` and the bind.
        """
        if self.is_running():
            self.port = self._pidfile(3) or self.port
            return self
        self.init()
        if self.socket_dir != self.data_dir:
            self._own(self.socket_dir)
        chosen = self.port is None  # restart() keeps the port, so clients' URLs stay valid
        for attempt in range(3):
            self.port = self.port or free_port()
            opts = (
                f"-p {self.port} -k {shlex.quote(str(self.socket_dir))} "
                f"-c listen_addresses=127.0.0.1 -c fsync={'on' if self.fsync else 'off'} "
                "-c max_connections=200 -c shared_buffers=128MB"
            )
            ctl = ["pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_path)]
            try:
                self._run(*ctl, "-w", "-t", str(int(wait)), "-o", opts, timeout=wait + 30)
                break
            except RuntimeError:
                if not (chosen and attempt < 2 and "already in use" in self.log_tail(5)):
                    raise
                self.port = None
        self._wait_for_connection(wait)
        return self

    def _wait_for_connection(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                with self.connect(connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline or not self.is_running():
                    raise RuntimeError(
                        f"PostgreSQL not accepting connections: {exc}{self.log_tail()}"
                    ) from exc
                time.sleep(0.02)

    def stop(self, mode: str = "fast") -> None:
        """Stop cleanly (``smart``/``fast``/``immediate``); a no-op when not running."""
        if self.is_running():
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60")

    def kill(self, timeout: float = 10) -> None:
        """SIGKILL the postmaster and its children, like a power cut, for fault tests.

        The children go too: a backend that outlives its postmaster still holds the shared
        memory, and the next start would refuse to run. Committed (fsynced) data must survive.
        """
        pid = self.pid
        if pid is None:
            return
        doomed = [pid, *self._children(pid)]  # postmaster first: it cannot fork replacements
        for target in doomed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while any(self._alive(target) for target in doomed):
            if time.monotonic() > deadline:
                raise RuntimeError(f"postmaster {pid} survived SIGKILL for {timeout}s")
            time.sleep(0.02)
        # A dead postmaster nobody reaps stays a zombie, and kill(pid, 0) on a zombie succeeds,
        # so the next postmaster would think it still runs. All are dead: drop its lock files.
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        (self.socket_dir / f".s.PGSQL.{self.port}.lock").unlink(missing_ok=True)

    @classmethod
    def _children(cls, ppid: int) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == ppid:
                    found.append(int(stat.parent.name))
        return [pid for pid in found if cls._alive(pid)]

    def restart(self, wait: float = 30) -> PgCluster:
        """Stop (if running) and start again on the same port; after ``kill`` runs recovery."""
        self.stop()
        return self.start(wait=wait)

    # -- clients --------------------------------------------------------------------------

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        if self.port is None:
            raise RuntimeError("cluster has no port yet: call start() first")
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **kwargs: Any) -> psycopg.Connection[Any]:
        """Sync, autocommit unless told otherwise: CREATE DATABASE cannot run in a transaction."""
        where = {"host": "127.0.0.1", "port": self.port, "user": "postgres", "dbname": database}
        return psycopg.connect(**{"autocommit": True, **where, **kwargs})

    def create_database(self, name: str, exist_ok: bool = False) -> None:
        with self.connect() as conn:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                if not exist_ok:
                    raise

    def drop_database(self, name: str) -> None:
        """Drop even with clients still connected (FORCE), so a leaked pool cannot block it."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def main(argv: list[str] | None = None) -> int:
    """``start|stop|status|url`` for the dev cluster in ``<repo>/.data/postgres`` (port 5433)."""
    parser = argparse.ArgumentParser(prog="scripts/postgres", description=main.__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "url"])
    parser.add_argument("database", nargs="?", help="database name for `url`")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="data directory")
    parser.add_argument("--db", action="append", default=[], help="create on start if missing")
    parser.add_argument("--driver", default="postgresql+asyncpg", help="URL scheme for `url`")
    args = parser.parse_args(argv)
    if args.command == "url" and not args.database:
        parser.error("url needs a database name, e.g. `url registry`")
    try:
        cluster = PgCluster(args.home, args.port)
        began, was_running = time.monotonic(), cluster.is_running()
        if args.command == "start":
            cluster.start()
            for name in args.db:
                cluster.create_database(name, exist_ok=True)
        elif args.command == "stop":
            cluster.stop()
    except PgBinariesNotFound as exc:
        print(f"PostgreSQL server binaries not found: {exc}", file=sys.stderr)
        return 2
    except (RuntimeError, psycopg.Error) as exc:
        print(f"scripts/postgres {args.command}: {exc}", file=sys.stderr)
        return 1
    where = f"pid {cluster.pid}, port {cluster.port}, data {cluster.data_dir}"
    if args.command == "url":
        print(cluster.url(args.database, driver=args.driver))
    elif args.command == "start":
        took = "already running" if was_running else f"started in {time.monotonic() - began:.1f}s"
        print(f"postgres {took}: {where}")
    elif args.command == "stop":
        print(f"postgres stopped (data {cluster.data_dir})")
    elif not cluster.is_running():
        print(f"postgres not running (data {cluster.data_dir})")
        return 1
    else:
        print(f"postgres running: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
