"""A consultation service running in this process on the real broker, once per database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.consultation.__main__ import MIGRATIONS
from services.consultation.bootstrap import ConsultationService, bootstrap
from services.consultation.settings import ConsultationSettings
from shared.auth import mint_token
from shared.clock import VirtualClock
from shared.migrations import upgrade_async
from tests.harness import create_topics, new_namespace

LONDON = ZoneInfo("Europe/London")
SLUG = "draft-leicestershire-carers-strategy-2026"


@pytest.fixture
def namespace(kafka_bootstrap: str) -> str:
    ns = new_namespace()
    create_topics(kafka_bootstrap, ns)
    return ns


@pytest.fixture
def clock() -> VirtualClock:
    """A clock the test moves: the service asks it the time for every request."""
    return VirtualClock(datetime(2026, 6, 1, 12, 0, tzinfo=LONDON))


@pytest.fixture
def rate_limit() -> float:
    return 0  # off unless a test asks for it


@pytest.fixture
async def service(
    kafka_bootstrap: str, namespace: str, database_url: str, clock: VirtualClock, rate_limit: float
) -> AsyncIterator[ConsultationService]:
    settings = ConsultationSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_namespace=namespace,
        database_url=database_url,
        outbox_poll_seconds=0.1,
        rate_limit_per_minute=rate_limit,
        rate_limit_burst=3,
    )
    await upgrade_async(MIGRATIONS, database_url)
    consultation = bootstrap(settings, clock=clock)
    await consultation.runtime.start()
    yield consultation
    await consultation.runtime.stop()


@pytest.fixture
async def client(service: ConsultationService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service.app, client=("203.0.113.7", 50000))
    # https: the CSRF and staff cookies are Secure, and a cookie jar returns those only over TLS.
    async with httpx.AsyncClient(transport=transport, base_url="https://consultation.test") as http:
        yield http


def token(service: ConsultationService, role: str = "council") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(service.settings.token_secret, role, 'LCC')}"}
