"""Run the whole system locally in the background: Kafka, then the four services.

``python -m shared.ops.stack up|down|status`` (``scripts/stack``). Each service runs as its own
process (``python -m services.<name>``), logs to ``.run/logs/<name>.log`` and writes its pid
to ``.run/<name>.pid``; ``down`` stops them and the broker. Settings come from the
environment, as in production; defaults give SQLite files under ``.data/``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from shared.kafka.admin import ensure_topics
from shared.kafka.local_broker import DEFAULT_HOME, LocalKafka
from shared.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / ".run"
SERVICES: dict[str, int] = {
    "registry": 8001,
    "referrals": 8002,
    "notifications": 8003,
    "consultation": 8004,
    "monitoring": 8005,
}
# Local stand-ins for the email and SMS providers: a real SMTP server that keeps what it is
# sent (messages at :8025/messages) and a GOV.UK Notify-compatible API (:6011).
DEVSERVERS: dict[str, list[str]] = {
    "smtp-sink": [
        "-m",
        "shared.devservers.smtp_sink",
        "--smtp-port",
        "1025",
        "--http-port",
        "8025",
    ],
    "notify-stub": ["-m", "shared.devservers.notify_stub", "--port", "6011"],
}


def port_of(name: str) -> int:
    return int(os.environ.get(f"{name.upper()}_HTTP_PORT", SERVICES[name]))


def _pid(name: str) -> int | None:
    path = RUN / f"{name}.pid"
    if not path.exists():
        return None
    pid = int(path.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        path.unlink()
        return None
    return pid


def broker() -> LocalKafka:
    port = int(os.environ.get("KAFKA_PORT", "9092"))
    return LocalKafka(Path(os.environ.get("KAFKA_HOME", DEFAULT_HOME)), port=port)


def up(extra_env: dict[str, str] | None = None, wait: float = 90) -> dict[str, str]:
    """Start the broker (unless KAFKA_BOOTSTRAP_SERVERS names one) and every service."""
    env = {**os.environ, **(extra_env or {})}
    bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        kafka = broker()
        if not kafka.is_running():
            kafka.start()
        bootstrap = kafka.bootstrap_servers
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    ensure_topics(bootstrap, ServiceSettings(kafka_bootstrap_servers=bootstrap).topic_specs())
    (RUN / "logs").mkdir(parents=True, exist_ok=True)
    if not env.get("NOTIFY_BASE_URL"):  # no real providers configured: use the stand-ins
        from shared.devservers.notify_model import (
            DEV_API_KEY,
            EMAIL_TEMPLATE_ID,
            SMS_TEMPLATE_ID,
        )

        for name, arguments in DEVSERVERS.items():
            _spawn(name, [sys.executable, *arguments], env)
        env.update(
            NOTIFY_BASE_URL="http://127.0.0.1:6011",
            NOTIFY_API_KEY=DEV_API_KEY,
            NOTIFY_EMAIL_TEMPLATE_ID=EMAIL_TEMPLATE_ID,
            NOTIFY_SMS_TEMPLATE_ID=SMS_TEMPLATE_ID,
            NOTIFICATIONS_SMTP_HOST="127.0.0.1",
            NOTIFICATIONS_SMTP_PORT="1025",
            NOTIFICATIONS_SMTP_LOOKUP_URL="http://127.0.0.1:8025",
        )
    urls = {}
    for name in SERVICES:
        if _pid(name) is None:
            log = (RUN / "logs" / f"{name}.log").open("ab")
            process = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            (RUN / f"{name}.pid").write_text(str(process.pid))
        urls[name] = f"http://127.0.0.1:{port_of(name)}"
    deadline = time.monotonic() + wait
    for name, url in urls.items():
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            if _pid(name) is None:
                raise RuntimeError(f"{name} exited; see .run/logs/{name}.log")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{name} not healthy after {wait:.0f} s; see .run/logs/{name}.log"
                )
            time.sleep(0.3)
    return urls


def _spawn(name: str, command: list[str], env: dict[str, str]) -> None:
    """Start a background process unless it is running; pid in .run/, log in .run/logs/."""
    if _pid(name) is not None:
        return
    log = (RUN / "logs" / f"{name}.log").open("ab")
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    (RUN / f"{name}.pid").write_text(str(process.pid))


def down(stop_broker: bool = True) -> None:
    for name in [*SERVICES, *DEVSERVERS]:
        pid = _pid(name)
        if pid is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        for _ in range(100):
            if _pid(name) is None:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        (RUN / f"{name}.pid").unlink(missing_ok=True)
    if stop_broker and not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        kafka = broker()
        if kafka.is_running():
            kafka.stop()


def status() -> int:
    healthy = True
    for name in DEVSERVERS:
        pid = _pid(name)
        print(f"{name:14} {f'pid {pid}' if pid else 'stopped':12}")
    for name in SERVICES:
        pid = _pid(name)
        state = f"pid {pid}" if pid else "stopped"
        print(f"{name:14} {state:12} http://127.0.0.1:{port_of(name)}")
        healthy &= pid is not None
    kafka = broker()
    print(
        f"{'kafka':14} {'running' if kafka.is_running() else 'stopped':12} "
        f"{kafka.bootstrap_servers}"
    )
    return 0 if healthy else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--keep-broker", action="store_true", help="down: leave Kafka running")
    args = parser.parse_args(argv)
    if args.command == "up":
        for name, url in up().items():
            print(f"{name:14} {url}")
        return 0
    if args.command == "down":
        down(stop_broker=not args.keep_broker)
        return 0
    return status()


if __name__ == "__main__":
    raise SystemExit(main())
