"""A registry running in this process on the real broker, once per database kind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.registry.__main__ import MIGRATIONS
from services.registry.bootstrap import Registry, bootstrap
from services.registry.settings import RegistrySettings
from shared.migrations import upgrade_async
from tests.harness import create_topics, new_namespace


@pytest.fixture
def namespace(kafka_bootstrap: str) -> str:
    ns = new_namespace()
    create_topics(kafka_bootstrap, ns)
    return ns


@pytest.fixture
async def registry(
    kafka_bootstrap: str, namespace: str, database_url: str
) -> AsyncIterator[Registry]:
    settings = RegistrySettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_namespace=namespace,
        database_url=database_url,
        outbox_poll_seconds=0.1,
    )
    await upgrade_async(MIGRATIONS, database_url)
    service = bootstrap(settings)
    await service.runtime.start()
    yield service
    await service.runtime.stop()
