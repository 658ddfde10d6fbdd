"""A denied Kafka operation is logged once, shown on /health, and heals when the ACL is granted.

The registry runs as its own process, as ``carers-registry``, on the secured cluster with two
of its permissions taken away before it starts: writing ``carers.registry.v1`` (its ACL
deleted) and reading as the consumer group ``carers-registry-referrals`` (a DENY ACL). Before
``shared/messaging/authorisation.py`` the group denial made the service exit at start-up (a
crash loop under Kubernetes) and the relay logged a traceback every second.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
)

from shared import topics
from shared.auth import mint_token
from shared.kafka import credentials, principals
from shared.kafka.admin import admin_client
from shared.kafka.cluster import KafkaCluster
from shared.kafka.local_broker import free_ports
from shared.settings import ServiceSettings
from tests.harness import ServiceProcess, eventually
from tests.integration.cluster.conftest import read_as, security, send_as

REGISTRY = "carers-registry"
GROUP = "carers-registry-referrals"  # the registry's subscription to referral progress
EXAMPLE = Path(__file__).resolve().parents[3] / "docs/examples/cloudevent-carer-identified.json"


def _write_registry_topic() -> ACL:
    return ACL(
        principal=f"User:{REGISTRY}",
        host="*",
        operation=ACLOperation.WRITE,
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(
            ResourceType.TOPIC, topics.REGISTRY, ACLResourcePatternType.LITERAL
        ),
    )


def _deny_group() -> ACL:
    return ACL(
        principal=f"User:{REGISTRY}",
        host="*",
        operation=ACLOperation.READ,
        permission_type=ACLPermissionType.DENY,
        resource_pattern=ResourcePattern(ResourceType.GROUP, GROUP, ACLResourcePatternType.LITERAL),
    )


def _as_filter(acl: ACL) -> ACLFilter:
    return ACLFilter(
        principal=acl.principal,
        host=acl.host,
        operation=acl.operation,
        permission_type=acl.permission_type,
        resource_pattern=acl.resource_pattern,
    )


def _admin(cluster: KafkaCluster) -> Any:
    return admin_client(cluster.bootstrap_servers, **cluster.kafka_python_options(principals.ADMIN))


@pytest.fixture(scope="module")
def registry(
    cluster: KafkaCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """The registry, started after its write ACL was deleted and its group denied."""
    with _admin(cluster) as admin:
        assert not admin.delete_acls([_as_filter(_write_registry_topic())])[0][2].errno
        assert not admin.create_acls([_deny_group()]).get("failed")
    workdir: Path = tmp_path_factory.mktemp("registry-denied")
    (port,) = free_ports(1)
    env = {
        **cluster.client_env(REGISTRY),
        "REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'registry.db'}",
        "REGISTRY_HTTP_PORT": str(port),
        "OUTBOX_POLL_SECONDS": "0.1",
        "CARERS_ENV": "test",
    }
    service = ServiceProcess("registry", env, port, workdir / "registry.log")
    service.start()
    try:
        asyncio.run(service.wait_healthy(120))
        yield service
    finally:
        service.stop()


async def _health(service: ServiceProcess) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{service.port}/health", timeout=5)
    return answer.status_code, answer.json()


def _pending(service: ServiceProcess) -> int:
    database = service.log_path.parent / "registry.db"
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM outbox").fetchone()[0])


async def test_a_denied_write_and_group_are_logged_once_shown_on_health_and_heal(
    cluster: KafkaCluster, registry: ServiceProcess
) -> None:
    body = json.loads(EXAMPLE.read_text())["data"]
    token = mint_token(ServiceSettings(carers_env="test").token_secret, "gp", "C82001")
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"http://127.0.0.1:{registry.port}/identifications",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 202, answer.text

    # The registration waits in the outbox while the relay retries, with back-off.
    async def retried_several_times() -> dict[str, Any] | None:
        _, health = await _health(registry)
        denied = {
            (d.get("topic") or d.get("group"), d["operation"]): d
            for d in health.get("kafka_denied", [])
        }
        write = denied.get((topics.REGISTRY, "write"))
        return health if write and write["count"] >= 4 else None

    await eventually(retried_several_times, timeout=60, interval=0.5)
    status, health = await _health(registry)
    assert status == 200 and health["status"] == "degraded", health
    shown = {(d.get("topic") or d.get("group"), d["operation"]) for d in health["kafka_denied"]}
    assert shown == {(topics.REGISTRY, "write"), (GROUP, "read")}, health
    assert {d["principal"] for d in health["kafka_denied"]} == {REGISTRY}
    assert registry.process is not None and registry.process.poll() is None  # still running
    assert _pending(registry) >= 1  # held, not lost

    log = registry.log_path.read_text()
    assert log.count(f"Kafka denies write on topic {topics.REGISTRY}") == 1, log[-3000:]
    assert log.count(f"Kafka denies read on group {GROUP}") == 1, log[-3000:]
    assert "AuthorizationFailedError" not in log, log[-3000:]  # no traceback per retry

    with _admin(cluster) as admin:
        assert not admin.create_acls([_write_registry_topic()]).get("failed")
        assert not admin.delete_acls([_as_filter(_deny_group())])[0][2].errno

    registered = await read_as(
        cluster, "carers-referrals", topics.REGISTRY, group="carers-referrals-denied", until=1
    )
    assert [json.loads(r.value)["type"] for r in registered] == ["carer.registered"]

    async def healed() -> bool:
        status, health = await _health(registry)
        return status == 200 and health["status"] == "ok"

    await eventually(healed, timeout=60, interval=0.5)
    assert _pending(registry) == 0
    log = registry.log_path.read_text()
    assert f"Kafka now allows write on topic {topics.REGISTRY}" in log
    assert f"Kafka now allows read on group {GROUP}" in log


async def test_an_operator_mints_a_partners_new_password_and_the_old_one_stops_working(
    cluster: KafkaCluster,
) -> None:
    partner = principals.partner_principal("hospital", "RWE")
    topic = topics.partner_inbound("hospital", "RWE")
    old = cluster.credentials[partner]
    new = credentials.mint(cluster, partner)
    assert new != old and KafkaCluster(cluster.home).credentials[partner] == new  # kept
    assert f'username="{partner}" password="{new}"' in credentials.client_properties(
        cluster, partner
    )

    async def accepted() -> bool:
        try:
            await send_as(cluster, partner, topic, [b"with the new password"])
        except KafkaError:
            return False
        return True

    await eventually(accepted, timeout=30, interval=1)
    with pytest.raises(KafkaError):
        await asyncio.wait_for(_send_with(cluster, partner, old, topic), 30)


async def _send_with(cluster: KafkaCluster, principal: str, password: str, topic: str) -> None:
    producer = AIOKafkaProducer(**security(cluster, principal, password), request_timeout_ms=5000)
    try:
        await producer.start()
        await producer.send_and_wait(topic, b"with the old password")
    finally:
        await producer.stop()
