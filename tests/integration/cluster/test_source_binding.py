"""Source binding on the secured cluster: the registry, as its own principal, takes a partner's
events from that partner's inbound topic and dead-letters one claiming another organisation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import topics
from shared.events import CloudEvent
from shared.kafka import principals
from shared.kafka.cluster import KafkaCluster
from shared.kafka.local_broker import free_ports
from tests.harness import ServiceProcess, identification
from tests.integration.cluster.conftest import read_as, send_as

GP = principals.partner_principal("gp", "C82001")
GP_TOPIC = topics.partner_inbound("gp", "C82001")


@pytest.fixture(scope="module")
def registry(cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The registry as its own process, connected as carers-registry (SASL_SSL, SCRAM)."""
    workdir: Path = tmp_path_factory.mktemp("registry-on-cluster")
    (port,) = free_ports(1)
    env = {
        **cluster.client_env("carers-registry"),
        "REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'registry.db'}",
        "REGISTRY_HTTP_PORT": str(port),
        "OUTBOX_POLL_SECONDS": "0.1",
        "CARERS_ENV": "test",
    }
    service = ServiceProcess("registry", env, port, workdir / "registry.log")
    service.start()
    try:
        import asyncio

        asyncio.run(service.wait_healthy(120))
        yield
    finally:
        service.stop()


def _event(kind: str, org: str, nhs_number: str) -> CloudEvent:
    """An identification consistent in itself (source and identified_by agree), so only the
    topic it arrives on can tell whether its writer may make it."""
    event = identification(
        person__nhs_number=nhs_number, identified_by__kind=kind, identified_by__org_code=org
    )
    return event.model_copy(update={"source": f"ods:{org}"})


async def test_a_partners_own_event_is_registered_and_a_spoofed_source_is_dead_lettered(
    cluster: KafkaCluster, registry: None
) -> None:
    honest = _event("gp", "C82001", "9434765919")
    spoofed = _event("hospital", "RWE", "9434765870")  # the GP's principal claiming the trust
    await send_as(cluster, GP, GP_TOPIC, [honest.to_bytes(), spoofed.to_bytes()])

    registered = await read_as(
        cluster, "carers-referrals", topics.REGISTRY, group="carers-referrals-test", until=1
    )
    assert [json.loads(r.value)["type"] for r in registered] == ["carer.registered"]

    dead = await read_as(cluster, principals.OPERATOR, topics.DEADLETTER, until=1)
    assert len(dead) == 1
    letter = json.loads(dead[0].value)["data"]
    assert letter["topic"] == GP_TOPIC, letter
    assert letter["reason"].startswith("source: must be the ODS code of the partner"), letter
    assert "RWE" not in letter["reason"]  # the reason names the field and rule, not the value
