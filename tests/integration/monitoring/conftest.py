"""The monitoring service in this process on the real broker, a database of each kind."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from services.monitoring.__main__ import MIGRATIONS
from services.monitoring.bootstrap import Monitoring, bootstrap
from services.monitoring.settings import MonitoringSettings
from shared.migrations import upgrade_async

MakeSettings = Callable[[str], MonitoringSettings]


@pytest.fixture
def monitoring_database(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[str], str]:
    """A factory of empty monitoring databases of the test's kind (a rebuild needs a second)."""

    def make(name: str) -> str:
        if database_url.startswith("sqlite"):
            return f"sqlite+aiosqlite:///{tmp_path}/{name}.db"
        fresh: Callable[..., str] = request.getfixturevalue("fresh_postgres_url")
        return fresh(name)

    return make


@pytest.fixture
def monitoring_settings(
    kafka_bootstrap: str, namespace: str
) -> Callable[[str], MonitoringSettings]:
    def make(database_url: str, **options: Any) -> MonitoringSettings:
        return MonitoringSettings(
            kafka_bootstrap_servers=kafka_bootstrap,
            kafka_topic_namespace=namespace,
            database_url=database_url,
            outbox_poll_seconds=0.1,
            cookie_secure=False,
            **options,
        )

    return make


@pytest.fixture
async def start_monitoring() -> AsyncIterator[Callable[..., Any]]:
    started: list[Monitoring] = []

    async def start(settings: MonitoringSettings, **options: Any) -> Monitoring:
        await upgrade_async(MIGRATIONS, settings.database_url)
        service = bootstrap(settings, **options)
        await service.runtime.start()
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        await service.runtime.stop()
