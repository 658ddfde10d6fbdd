"""Registry integration fixtures: ``namespace``, ``registry``, ``registry_http`` and ``token``
come from tests/fixtures/services.py; ``api`` and ``bearer`` are the FHIR tests' names."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

FHIR_PATH = "/fhir/$process-message"


@pytest.fixture
def api(registry_http: httpx.AsyncClient) -> httpx.AsyncClient:
    return registry_http


@pytest.fixture
def bearer(token: Callable[..., dict[str, str]]) -> Callable[[str, str], dict[str, str]]:
    """``bearer("gp", "C82001")``: an Authorization header the registry accepts."""
    return lambda role, org: token(role, org)
