"""The consultation service served over HTTP on loopback, for the browser tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from services.consultation.__main__ import MIGRATIONS
from services.consultation.bootstrap import bootstrap
from services.consultation.settings import ConsultationSettings
from shared.auth import mint_token
from shared.kafka.local_broker import free_ports
from shared.migrations import upgrade
from tests.fixtures.browser import browser, page  # noqa: F401  (works before conftest registers the plugin)
from tests.harness import create_topics, new_namespace

SLUG = "draft-leicestershire-carers-strategy-2026"


@dataclass
class Site:
    url: str
    staff_token: str


@pytest.fixture(scope="module")
def site(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    namespace = new_namespace()
    create_topics(kafka_bootstrap, namespace)
    database = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('consultation')}/site.db"
    migrate = threading.Thread(target=upgrade, args=(MIGRATIONS, database))
    migrate.start()  # its own thread: alembic's env runs its own event loop
    migrate.join()
    settings = ConsultationSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_namespace=namespace,
        database_url=database,
        outbox_poll_seconds=0.2,
        rate_limit_per_minute=0,
    )
    port = free_ports(1)[0]
    server = uvicorn.Server(
        uvicorn.Config(bootstrap(settings).app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="consultation-site", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        raise AssertionError("the consultation site did not become healthy")
    yield Site(url, mint_token(settings.token_secret, "council", "LCC"))
    server.should_exit = True
    thread.join(30)


def sign_in(tab: Any, site: Site) -> None:
    """Give the browser the staff cookie, as the sign-in page would."""
    cookie = {"name": "carers_staff_token", "value": site.staff_token, "url": site.url}
    tab.context.add_cookies([cookie])
