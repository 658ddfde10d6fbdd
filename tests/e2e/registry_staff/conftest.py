"""The registry served on loopback for the staff pages' browser tests (issue 17): the
council's duplicate review page and a GP practice's "carers to code" list, on the real broker
in a namespace of their own, with a held identification and a carer to code already there."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from services.registry.__main__ import MIGRATIONS
from services.registry.bootstrap import bootstrap
from services.registry.settings import RegistrySettings
from shared.auth import mint_token
from shared.kafka.local_broker import free_ports
from shared.migrations import upgrade
from tests.e2e.referrals.conftest import run
from tests.fixtures.browser import browser, page  # noqa: F401  (before conftest registers the plugin)
from tests.harness import create_topics, new_namespace
from tests.integration.registry.support import body, event, send

PRACTICE = "C82001"


@dataclass
class Site:
    url: str
    bootstrap: str
    namespace: str
    database: Path
    tokens: dict[str, str]

    def api(self, role: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[role]}"}
        )


@pytest.fixture(scope="module")
def site(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    namespace = new_namespace()
    create_topics(kafka_bootstrap, namespace)
    database = tmp_path_factory.mktemp("registry") / "site.db"
    url_of_db = f"sqlite+aiosqlite:///{database}"
    migrate = threading.Thread(target=upgrade, args=(MIGRATIONS, url_of_db))
    migrate.start()  # its own thread: alembic's env runs its own event loop
    migrate.join()
    settings = RegistrySettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_namespace=namespace,
        database_url=url_of_db,
        outbox_poll_seconds=0.2,
    )
    port = free_ports(1)[0]
    server = uvicorn.Server(
        uvicorn.Config(bootstrap(settings).app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="registry-site", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    _wait(lambda: httpx.get(f"{url}/health", timeout=2).status_code == 200, "healthy")
    tokens = {
        "council": mint_token(settings.token_secret, "council", "LCC"),
        "gp": mint_token(settings.token_secret, "gp", PRACTICE),
        "other_gp": mint_token(settings.token_secret, "gp", "C84001"),
    }
    site = Site(url, kafka_bootstrap, namespace, database, tokens)
    # Siân names her practice and shares with her GP: on C82001's list. Another person with
    # the same name, date of birth and postcode but another NHS number; then a hospital's
    # report without a number matches both: held for the council to review.
    sian = body(person__gp_practice_ods=PRACTICE)
    namesake = body(person__nhs_number="9000000009", consent={"share_with": [], "contact": False})
    unnumbered = body(
        person__nhs_number=None,
        identified_by={"kind": "hospital", "org_code": "RWE", "org_name": "Royal Infirmary"},
    )
    run(
        send(
            kafka_bootstrap,
            namespace,
            (event("carer.identified", sian), "9434765919"),
            (event("carer.identified", namesake), "9000000009"),
            (event("carer.identified", unnumbered, source="ods:RWE"), "ref-x"),
        )
    )
    with site.api("council") as council, site.api("gp") as gp:
        _wait(lambda: council.get("/reviews").json(), "a held identification")
        _wait(lambda: gp.get("/gp/carers-to-code").json()["total"] == 1, "a carer to code")
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
    raise AssertionError(f"the registry site: {what} did not happen within {timeout} s")


def tab_to(tab: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        tab.keyboard.press("Tab")
        if tab.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def sign_in_by_keyboard(tab: Any, token: str) -> None:
    """On the sign-in page: type the staff token and press Enter."""
    assert "/staff/sign-in" in tab.url
    tab_to(tab, "#token")
    tab.keyboard.type(token)
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
