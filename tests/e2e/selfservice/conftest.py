"""Registry, referrals and notifications served on loopback for the self-service browser
tests, on the real broker in a namespace of their own, with the local SMTP server catching
the sign-in codes. Each service runs in a thread with its own event loop (Playwright's sync
API owns the main one)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from services.notifications.__main__ import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from services.notifications.bootstrap import bootstrap as notifications_bootstrap
from services.referrals.__main__ import MIGRATIONS as REFERRALS_MIGRATIONS
from services.referrals.bootstrap import bootstrap as referrals_bootstrap
from services.referrals.settings import ReferralsSettings
from services.registry.__main__ import MIGRATIONS as REGISTRY_MIGRATIONS
from services.registry.bootstrap import bootstrap as registry_bootstrap
from services.registry.settings import RegistrySettings
from shared.auth import mint_token
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from shared.kafka.local_broker import free_ports
from shared.migrations import upgrade
from tests.fixtures.browser import browser, page  # noqa: F401  (works before conftest registers the plugin)
from tests.harness import create_topics, new_namespace
from tests.integration.notifications.conftest import service_settings

HELP_PHONE = "0116 496 0999"
HELP_HOURS = "Monday to Friday, 9am to 5pm"


@dataclass
class Stack:
    registry: str
    referrals: str
    smtp: SmtpSink
    tokens: dict[str, str]

    def api(self, base: str, role: str) -> httpx.Client:
        return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {self.tokens[role]}"})

    def code_for(self, email: str, after: int = 0, timeout: float = 60) -> str:
        """The newest sign-in code sent to ``email``, once the SMTP server has it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = [m for m in self.smtp.messages() if email in m.rcpt_tos][after:]
            # Referral news goes to the same address: only sign-in code messages count.
            mails = [m for m in mails if m.subject.startswith("Your code")]
            if mails:
                found = re.search(r"\b(\d{6})\b", mails[-1].text)
                assert found, mails[-1].text
                return found.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no code reached {email} within {timeout} s")

    def mails_to(self, email: str) -> int:
        return len([m for m in self.smtp.messages() if email in m.rcpt_tos])


def _migrate(migrations: Path, url: str) -> None:
    thread = threading.Thread(target=upgrade, args=(migrations, url))
    thread.start()  # its own thread: alembic's env runs its own event loop
    thread.join()


def _serve(app: Any, port: int, name: str) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    return server, thread


def wait(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
            if found:
                return found
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {timeout} s")


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    namespace = new_namespace()
    create_topics(kafka_bootstrap, namespace)
    folder = tmp_path_factory.mktemp("selfservice")
    urls = {name: f"sqlite+aiosqlite:///{folder}/{name}.db" for name in ("reg", "ref", "note")}
    _migrate(REGISTRY_MIGRATIONS, urls["reg"])
    _migrate(REFERRALS_MIGRATIONS, urls["ref"])
    _migrate(NOTIFICATIONS_MIGRATIONS, urls["note"])
    common: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka_bootstrap,
        "kafka_topic_namespace": namespace,
        "outbox_poll_seconds": 0.1,
    }
    ports = free_ports(3)
    with SmtpSink() as smtp, NotifyStub() as notify:
        registry = registry_bootstrap(
            RegistrySettings(
                database_url=urls["reg"],
                help_phone=HELP_PHONE,
                help_hours=HELP_HOURS,
                selfservice_signin_limit=100,  # every test here signs in from 127.0.0.1
                **common,
            )
        )
        referrals = referrals_bootstrap(ReferralsSettings(database_url=urls["ref"], **common))
        notifications = notifications_bootstrap(
            service_settings(kafka_bootstrap, namespace, urls["note"], smtp, notify)
        )
        servers = [
            _serve(registry.app, ports[0], "registry"),
            _serve(referrals.app, ports[1], "referrals"),
            _serve(notifications.app, ports[2], "notifications"),
        ]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            wait(
                lambda base=base: httpx.get(f"{base}/health", timeout=2).status_code == 200,
                f"{base} healthy",
            )
        secret = registry.settings.token_secret
        tokens = {
            role: mint_token(secret, role, org)
            for role, org in (("council", "LCC"), ("vasl", "VASL"), ("admin", "OPS"))
        }
        yield Stack(bases[0], bases[1], smtp, tokens)
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(30)
