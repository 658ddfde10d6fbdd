"""OS processes the fault suite owns: start, SIGKILL, SIGSTOP/SIGCONT, health, resources.

Nothing outlives the suite: each child asks Linux for SIGKILL when the test process dies
(``PR_SET_PDEATHSIG``, set before exec; every start happens on the event loop's thread, which
lives as long as the run), and :func:`kill_all` ends any still running when the session ends.

Why not ``tests.harness.ServiceProcess``: the suite also runs the provider stand-ins as
processes, starts services with ``serve`` (the schema is migrated once beforehand, so three
instances starting together do not race on migrations), pauses processes, and reads their
CPU time and resident memory. Every process gets its own session, so a signal reaches it
and any children, and nothing here ever signals a process it did not start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[2]
_STARTED: list[OwnedProcess] = []  # every process this run started, for kill_all()


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL when the test process (its parent) dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def kill_all() -> int:
    """SIGKILL every process this run started that still runs; how many there were."""
    alive = [p for p in _STARTED if p.alive()]
    for process in alive:
        process.kill()
    _STARTED.clear()
    return len(alive)


class OwnedProcess:
    """One child process: ``argv`` run from the repository with ``env`` added to ours."""

    def __init__(
        self,
        label: str,
        argv: list[str],
        env: dict[str, str],
        log: Path,
        *,
        port: int | None = None,
        health_path: str = "/health",
    ) -> None:
        self.label, self.argv, self.env, self.log_path = label, argv, env, log
        self.port, self.health_path = port, health_path
        self.process: subprocess.Popen[bytes] | None = None
        self.paused = False
        self.started_at = 0.0

    @classmethod
    def python_module(
        cls,
        label: str,
        module: str,
        args: list[str],
        env: dict[str, str],
        log: Path,
        *,
        port: int | None = None,
        health_path: str = "/health",
    ) -> OwnedProcess:
        """``python -m module args`` with this interpreter (the project's virtualenv)."""
        argv = [sys.executable, "-m", module, *args]
        return cls(label, argv, env, log, port=port, health_path=health_path)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        env = {**os.environ, **self.env, **(extra_env or {})}
        with self.log_path.open("ab") as log:
            log.write(f"\n=== start {time.strftime('%H:%M:%S')} {extra_env or ''} ===\n".encode())
            self.process = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        if self not in _STARTED:
            _STARTED.append(self)
        self.paused = False
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def _signal(self, sig: signal.Signals) -> None:
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no offset commit, no goodbye to the group."""
        self._signal(signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        self.paused = False

    def pause(self) -> None:
        """SIGSTOP: sockets stay open but nothing answers, as a long GC pause or a frozen VM."""
        self._signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        self._signal(signal.SIGCONT)
        self.paused = False

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (graceful: the service leaves its group and drains its outbox)."""
        if not self.alive():
            return
        self.resume()
        self._signal(signal.SIGTERM)
        assert self.process is not None
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    async def wait_healthy(self, timeout: float = 90) -> float:
        """Seconds until ``GET /health`` answered 200; fails if the process exits first."""
        assert self.port is not None, f"{self.label} has no HTTP port to ask"
        began = time.monotonic()
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() - began < timeout:
                if not self.alive():
                    raise AssertionError(f"{self.label} exited ({self.returncode}):\n{self.tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    url = f"http://127.0.0.1:{self.port}{self.health_path}"
                    if (await client.get(url)).status_code == 200:
                        return time.monotonic() - began
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.label} not healthy within {timeout:.0f} s:\n{self.tail()}")

    def usage(self) -> tuple[float, float]:
        """(CPU seconds so far, resident MB now) of the process and its children."""
        if not self.alive() or self.pid is None:
            return 0.0, 0.0
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
            cpu = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
            rss = sum(p.memory_info().rss for p in procs) / 2**20
            return cpu, rss
        except psutil.Error:
            return 0.0, 0.0

    def tail(self, size: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-size:]
        return "(no log)"
