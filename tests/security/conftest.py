"""The abuse suite's stage: the four services as separate OS processes, as an attacker meets
them, on the real broker in a namespace of their own, with SQLite databases, the local SMTP
server and the Notify-compatible stub.

Each attack test drives the running system over HTTP (and Kafka, where partners write to it),
asserts the refusal and prints ``ATTACK <what>: refused`` with :func:`refused`, so the CI log
lists every attack played. The stack is started once per module (about 15 s) and stopped, with
everything it started, when the module ends.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import mint_token
from shared.devservers.notify_model import DEV_API_KEY
from shared.kafka.local_broker import free_ports
from shared.settings import DEV_TOKEN_SECRET
from tests.faults.processes import OwnedProcess
from tests.harness import create_topics, events_on, new_namespace, produce

SERVICES = ("registry", "referrals", "notifications", "consultation")
EMAIL_TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
SMS_TEMPLATE_ID = "ceb50d92-100d-4b8b-b559-14fa3b091cd6"
CALLBACK_TOKEN = "security-suite-callback-token-0123456789"


def refused(attack: str) -> None:
    """Say, in the test log, which attack was played and that the system refused it."""
    print(f"ATTACK {attack}: refused")


@dataclass
class Stack:
    """The running system as an attacker (or an honest partner) reaches it."""

    bootstrap: str
    namespace: str
    ports: dict[str, int]
    smtp_http_port: int
    workdir: Path
    processes: list[OwnedProcess] = field(default_factory=list)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def token(self, role: str, org: str = "TEST", **claims: Any) -> str:
        """A bearer token for ``role`` at ``org`` as partners are issued them."""
        return mint_token(DEV_TOKEN_SECRET, role, org, **claims)

    def headers(self, role: str, org: str = "TEST", **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, org, **claims)}"}

    def client(self, service: str, **kwargs: Any) -> httpx.Client:
        """A plain HTTP client for one service (no cookies shared between services)."""
        return httpx.Client(base_url=self.url(service), timeout=30, **kwargs)

    def topic(self, name: str) -> str:
        """A contract topic's name in this stack's namespace (``carers.inbound.v1`` ...)."""
        return f"{self.namespace}{name}"

    def produce(self, topic: str, values: list[bytes], key: bytes | None = None) -> None:
        """Write records straight to a contract topic, as a partner system on Kafka would."""
        asyncio.run(produce(self.bootstrap, self.topic(topic), values, key))

    def events(self, topic: str) -> list[dict[str, Any]]:
        """Every event now on a contract topic, from the beginning."""
        return asyncio.run(events_on(self.bootstrap, self.topic(topic)))

    def mail(self, to: str | None = None) -> list[dict[str, Any]]:
        """Messages the local SMTP server has received (optionally only those to ``to``)."""
        params = {"to": to} if to else {}
        response = httpx.get(f"http://127.0.0.1:{self.smtp_http_port}/messages", params=params)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def wait_for(
        self, check: Callable[[], Any], *, timeout: float = 60, interval: float = 0.25
    ) -> Any:
        """Poll ``check`` until it returns something truthy (and return it), or fail."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout} s (last value: {last!r})")

    def log(self, service: str) -> str:
        """What a service wrote to its log so far (to check what never reaches a log)."""
        return (self.workdir / f"{service}.log").read_text(errors="replace")


def _service_env(stack: Stack, service: str, smtp_port: int, notify_port: int) -> dict[str, str]:
    upper = service.upper()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap,
        "KAFKA_TOPIC_NAMESPACE": stack.namespace,
        f"{upper}_DATABASE_URL": f"sqlite+aiosqlite:///{stack.workdir / service}.db",
        f"{upper}_HTTP_PORT": str(stack.ports[service]),
        "OUTBOX_POLL_SECONDS": "0.1",
        "LOG_LEVEL": "INFO",
        "CARERS_ENV": "test",
    }
    if service == "notifications":
        env |= {
            "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
            "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
            "NOTIFICATIONS_SMTP_LOOKUP_URL": f"http://127.0.0.1:{stack.smtp_http_port}",
            "NOTIFY_BASE_URL": f"http://127.0.0.1:{notify_port}",
            "NOTIFY_API_KEY": DEV_API_KEY,
            "NOTIFY_EMAIL_TEMPLATE_ID": EMAIL_TEMPLATE_ID,
            "NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE_ID,
            "NOTIFICATIONS_QUIET_HOURS_START": "00:00",
            "NOTIFICATIONS_QUIET_HOURS_END": "00:00",
            "NOTIFICATIONS_DISPATCH_POLL_SECONDS": "0.2",
            "NOTIFICATIONS_CALLBACK_TOKEN": CALLBACK_TOKEN,
            "NOTIFICATIONS_PUBLIC_URL": stack.url("notifications"),
        }
    if service == "registry":
        # Plain HTTP on loopback: the cookie's Secure flag is tested on its own.
        env["REGISTRY_SELFSERVICE_SECURE_COOKIES"] = "false"
    return env


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services, the SMTP server and the Notify stub, each its own process."""
    workdir = tmp_path_factory.mktemp("security")
    namespace = new_namespace()
    create_topics(kafka_bootstrap, namespace)
    ports = free_ports(len(SERVICES) + 3)
    smtp_port, smtp_http_port, notify_port = ports[-3:]
    service_ports = dict(zip(SERVICES, ports, strict=False))
    stack = Stack(kafka_bootstrap, namespace, service_ports, smtp_http_port, workdir)
    smtp = OwnedProcess.python_module(
        "smtp-sink",
        "shared.devservers.smtp_sink",
        ["--smtp-port", str(smtp_port), "--http-port", str(smtp_http_port)],
        {},
        workdir / "smtp-sink.log",
        port=smtp_http_port,
        health_path="/messages?to=nobody",
    )
    notify = OwnedProcess.python_module(
        "notify-stub",
        "shared.devservers.notify_stub",
        ["--port", str(notify_port), "--rate-limit", "0"],
        {},
        workdir / "notify-stub.log",
        port=notify_port,
        health_path="/_stub/notifications?reference=none",
    )
    stack.processes += [smtp, notify]
    for service in SERVICES:
        stack.processes.append(
            OwnedProcess.python_module(
                service,
                f"services.{service}",
                ["run"],
                _service_env(stack, service, smtp_port, notify_port),
                workdir / f"{service}.log",
                port=stack.ports[service],
            )
        )
    try:
        for process in stack.processes:
            process.start()

        async def all_healthy() -> None:
            await asyncio.gather(*(p.wait_healthy(120) for p in stack.processes))

        asyncio.run(all_healthy())
        yield stack
    finally:
        for process in stack.processes:
            process.stop()


def example_identification(**person: Any) -> dict[str, Any]:
    """The contract's example ``carer.identified`` body, with ``person`` fields replaced."""
    path = Path(__file__).resolve().parents[2] / "docs" / "examples"
    data: dict[str, Any] = json.loads((path / "cloudevent-carer-identified.json").read_text())[
        "data"
    ]
    data["person"] = {**data["person"], **person}
    return data
