"""The referrals service served over HTTP on loopback for the browser tests, consuming the
registry's events from the real broker, with carers already referred to it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn

from services.referrals.__main__ import MIGRATIONS
from services.referrals.bootstrap import bootstrap
from services.referrals.settings import ReferralsSettings
from shared.auth import mint_token
from shared.kafka.local_broker import free_ports
from shared.migrations import upgrade
from tests.fixtures.browser import browser, page  # noqa: F401  (works before conftest registers the plugin)
from tests.harness import create_topics, new_namespace
from tests.integration.referrals.support import carer_event, send


@dataclass
class Site:
    url: str
    bootstrap: str
    namespace: str
    tokens: dict[str, str]
    carers: dict[str, str] = field(default_factory=dict)  # name -> carer_id

    def api(self, role: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[role]}"}
        )

    def referral(self, name: str, service: str) -> dict[str, Any]:
        role = "vasl" if service == "vasl" else "council"
        with self.api(role) as client:
            queue = client.get(
                "/referrals", params={"carer_id": self.carers[name], "service": service}
            )
        (found,) = queue.json()
        return found  # type: ignore[no-any-return]


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run async set-up in a thread of its own: Playwright's sync API owns this one's loop."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        outcome["value"] = asyncio.run(coroutine)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    return outcome.get("value")


# Who the registry has identified: (name, category, consent, support asked for, when).
CARERS = [
    ("Siân", "adult_carer", ("gp", "council", "vasl"), ("carers_assessment",), None),
    ("Priya", "adult_carer", ("council",), ("carers_assessment",), None),
    ("Aled", "young_carer", ("council",), (), None),
    (
        "Dorothy",
        "adult_carer",
        ("council",),
        ("carers_assessment",),
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    ),
]


@pytest.fixture(scope="module")
def site(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    namespace = new_namespace()
    create_topics(kafka_bootstrap, namespace)
    database = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('referrals')}/site.db"
    migrate = threading.Thread(target=upgrade, args=(MIGRATIONS, database))
    migrate.start()  # its own thread: alembic's env runs its own event loop
    migrate.join()
    settings = ReferralsSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_namespace=namespace,
        database_url=database,
        outbox_poll_seconds=0.2,
        overdue_sweep_seconds=0.5,
    )
    port = free_ports(1)[0]
    server = uvicorn.Server(
        uvicorn.Config(bootstrap(settings).app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="referrals-site", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    _wait(lambda: httpx.get(f"{url}/health", timeout=2).status_code == 200, "healthy")
    secret = settings.token_secret
    tokens = {
        role: mint_token(secret, role, org)
        for role, org in (("council", "LCC"), ("vasl", "VASL"), ("admin", "OPS"), ("gp", "C82001"))
    }
    site = Site(url, kafka_bootstrap, namespace, tokens)
    events = []
    for name, category, consent, asked, at in CARERS:
        event = carer_event(
            category=category,
            share_with=consent,
            support_requested=asked,
            given_name=name,
            at=at,
        )
        site.carers[name] = event.subject or ""
        events.append(event)
    run(send(kafka_bootstrap, namespace, *events))
    with site.api("admin") as admin:
        _wait(lambda: len(admin.get("/referrals").json()) == 5, "five referrals")
        _wait(lambda: admin.get("/referrals", params={"overdue": "true"}).json(), "overdue")
    yield site
    server.should_exit = True
    thread.join(30)


def _wait(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the referrals site: {what} did not happen within {timeout} s")


def sign_in(tab: Any, site: Site, role: str) -> None:
    """Give the browser the staff cookie, as the sign-in page would."""
    cookie = {"name": "carers_staff_token", "value": site.tokens[role], "url": site.url}
    tab.context.add_cookies([cookie])
