"""The whole system on the production-shaped local cluster: ``scripts/stack up --cluster``.

Why a second way up: the quick start (``shared.ops.stack``) runs every service against one
unauthenticated broker, so nothing there proves the production settings. Here the three-node
secured cluster (``shared/kafka/cluster.py``: TLS, SCRAM-SHA-512, ACLs, replication 3) is
started, it creates the contract topics and every principal's ACLs itself (services may not
create topics), and each service runs as its own principal (``carers-<service>``) through the
settings that already exist (``KAFKA_SECURITY_PROTOCOL``, ``KAFKA_SASL_USERNAME`` ...), exactly
as in production. The services, their ports, logs and the local e-mail and Notify stand-ins
are those of the quick start; ``.run/kafka-cluster`` says the stack runs on the cluster.

``python -m shared.ops.cluster_stack up|down|status`` (``scripts/stack ... --cluster``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from shared.kafka import credentials, principals
from shared.kafka.cluster import DEFAULT_HOME, KafkaCluster
from shared.ops import stack


def marker() -> Path:
    """``.run/kafka-cluster``: the stack runs on the cluster (its bootstrap servers)."""
    return stack.RUN / "kafka-cluster"


def cluster() -> KafkaCluster:
    return KafkaCluster(Path(os.environ.get("KAFKA_CLUSTER_HOME", DEFAULT_HOME)))


def service_principal(service: str) -> str:
    """The Kafka user a service runs as; a clear error for a service the table lacks."""
    principal = f"carers-{service}"
    if principal not in principals.ROWS:
        raise RuntimeError(
            f"{service} has no Kafka principal: add a row for {principal} to "
            "shared/kafka/principals.py (its ACLs and its Strimzi KafkaUser follow from it)"
        )
    return principal


def up(wait: float = 120) -> dict[str, str]:
    """Start the cluster (unless running) and every service as its own principal."""
    kafka = cluster()
    if len(kafka.running()) < 3:
        kafka.start()
    else:  # running: principals or topics added to the table since it started get theirs
        credentials.ensure(kafka)
        kafka.apply(namespace="")
    (stack.RUN / "logs").mkdir(parents=True, exist_ok=True)
    marker().write_text(kafka.bootstrap_servers)
    env = {**os.environ, **_providers(dict(os.environ))}
    urls = {}
    for name in stack.SERVICES:
        if stack._pid(name) is None:
            service_env = {**env, **kafka.client_env(service_principal(name))}
            log = (stack.RUN / "logs" / f"{name}.log").open("ab")
            process = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=stack.REPO,
                env=service_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            (stack.RUN / f"{name}.pid").write_text(str(process.pid))
        urls[name] = f"http://127.0.0.1:{stack.port_of(name)}"
    for name, url in urls.items():
        health = _wait_healthy(name, url, time.monotonic() + wait)
        if health.get("status") != "ok":  # up, but the brokers deny it something
            print(f"warning: {name} is {health.get('status')}: {health}", file=sys.stderr)
    return urls


def _providers(env: dict[str, str]) -> dict[str, str]:
    """The local e-mail and Notify stand-ins, as the quick start runs them, unless real
    providers are configured; the settings that point the services at them."""
    if env.get("NOTIFY_BASE_URL"):
        return {}
    from shared.devservers.notify_model import DEV_API_KEY, EMAIL_TEMPLATE_ID, SMS_TEMPLATE_ID

    for name, arguments in stack.DEVSERVERS.items():
        stack._spawn(name, [sys.executable, *arguments], env)
    return {
        "NOTIFY_BASE_URL": "http://127.0.0.1:6011",
        "NOTIFY_API_KEY": DEV_API_KEY,
        "NOTIFY_EMAIL_TEMPLATE_ID": EMAIL_TEMPLATE_ID,
        "NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE_ID,
        "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "NOTIFICATIONS_SMTP_PORT": "1025",
        "NOTIFICATIONS_SMTP_LOOKUP_URL": "http://127.0.0.1:8025",
    }


def _wait_healthy(name: str, url: str, deadline: float) -> dict[str, object]:
    while True:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            answer = httpx.get(f"{url}/health", timeout=2)
            if answer.status_code == 200:
                return dict(answer.json())
        if stack._pid(name) is None:
            raise RuntimeError(f"{name} exited; see .run/logs/{name}.log")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} not healthy in time; see .run/logs/{name}.log")
        time.sleep(0.3)


def down(stop_cluster: bool = True) -> None:
    stack.down(stop_broker=False)
    marker().unlink(missing_ok=True)
    kafka = cluster()
    if stop_cluster and kafka.running():
        kafka.stop()


def status() -> int:
    code = stack.status()
    kafka = cluster()
    running = kafka.running()
    print(f"{'kafka cluster':14} {f'nodes {running}' if running else 'stopped':12} ", end="")
    print(kafka.bootstrap_servers if kafka.layout_file.exists() else "")
    return code if len(running) == 3 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/stack --cluster", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--keep-broker", action="store_true", help="down: leave the cluster up")
    args = parser.parse_args(argv)
    if args.command == "up":
        for name, url in up().items():
            print(f"{name:14} {url}")
        print(f"{'kafka cluster':14} {cluster().bootstrap_servers} (SASL_SSL, one user each)")
        return 0
    if args.command == "down":
        down(stop_cluster=not args.keep_broker)
        return 0
    return status()


if __name__ == "__main__":
    raise SystemExit(main())
