"""A registry running in this process on the real broker, once per database kind.

Generic on purpose: every registry integration test module shares these fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from services.registry.__main__ import MIGRATIONS
from services.registry.bootstrap import Registry, bootstrap
from services.registry.entrypoints import fhir
from services.registry.settings import RegistrySettings
from shared.auth import mint_token
from shared.migrations import upgrade_async
from tests.harness import create_topics, new_namespace

FHIR_PATH = "/fhir/$process-message"


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
    # Until bootstrap.py includes the FHIR router itself.
    if not any(getattr(route, "path", None) == FHIR_PATH for route in service.app.routes):
        service.app.include_router(fhir.router)
    await service.runtime.start()
    yield service
    await service.runtime.stop()


@pytest.fixture
async def api(registry: Registry) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP straight into the registry's app (its runtime is already started above)."""
    transport = httpx.ASGITransport(app=registry.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        yield client


@pytest.fixture
def bearer(registry: Registry) -> Callable[[str, str], dict[str, str]]:
    """``bearer("gp", "C82001")``: an Authorization header the registry accepts."""

    def header(role: str, org: str) -> dict[str, str]:
        token = mint_token(registry.settings.token_secret, role, org)
        return {"Authorization": f"Bearer {token}"}

    return header
