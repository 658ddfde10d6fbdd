"""The referrals service in this process on the real broker, a real database of each kind.

``start_referrals(**settings)`` starts an instance (call it twice for two instances sharing
one database and one consumer group); every instance is stopped after the test. The
referrals database is its own, beside (never inside) the registry's, as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.referrals.__main__ import MIGRATIONS
from services.referrals.bootstrap import Referrals, bootstrap
from services.referrals.settings import ReferralsSettings
from shared.migrations import upgrade_async

StartReferrals = Callable[..., Any]


@pytest.fixture
def referrals_database_url(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path}/referrals.db"
    make: Callable[..., str] = request.getfixturevalue("fresh_postgres_url")
    return make("referrals")


@pytest.fixture
async def start_referrals(
    kafka_bootstrap: str, namespace: str, referrals_database_url: str
) -> AsyncIterator[StartReferrals]:
    started: list[Referrals] = []
    await upgrade_async(MIGRATIONS, referrals_database_url)

    async def start(*, consume: bool = True, **options: Any) -> Referrals:
        bootstrap_options = {
            k: options.pop(k) for k in ("clock", "calendar", "sweep") if k in options
        }
        settings = ReferralsSettings(
            kafka_bootstrap_servers=kafka_bootstrap,
            kafka_topic_namespace=namespace,
            database_url=referrals_database_url,
            outbox_poll_seconds=0.1,
            **options,
        )
        service = bootstrap(settings, consume=consume, **bootstrap_options)
        await service.runtime.start()
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        await service.runtime.stop()


@pytest.fixture
async def referrals(start_referrals: StartReferrals) -> Referrals:
    """One instance consuming the registry's events."""
    return await start_referrals()  # type: ignore[no-any-return]


@pytest.fixture
async def api(referrals: Referrals) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP to the referrals app (its lifespan is not rerun: ``referrals`` started it)."""
    transport = httpx.ASGITransport(app=referrals.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://referrals") as client:
        yield client
