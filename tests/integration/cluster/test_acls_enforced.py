"""The secured cluster enforces the one table of principals (shared/kafka/principals.py).

Every principal can do what its row allows; every forbidden operation (another service's
topic, an internal topic, another partner's inbound topic, creating topics, a wrong password,
no TLS) is refused by the brokers with an authorisation error, not silently accepted.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from kafka.errors import KafkaError as SyncKafkaError

from shared import topics
from shared.kafka import principals
from shared.kafka.admin import admin_client, describe_topics
from shared.kafka.cluster import KafkaCluster
from tests.integration.cluster.conftest import read_as, security, send_as

GP = principals.partner_principal("gp", "C82001")
GP_TOPIC = topics.partner_inbound("gp", "C82001")
HOSPITAL_TOPIC = topics.partner_inbound("hospital", "RWE")


def test_every_contract_topic_has_three_replicas_and_needs_two_in_sync(
    cluster: KafkaCluster,
) -> None:
    admin = cluster.kafka_python_options(principals.ADMIN)
    described = describe_topics(cluster.bootstrap_servers, topics.TOPIC_NAMES, **admin)
    assert set(described) == set(topics.TOPIC_NAMES)
    for info in described.values():
        assert info.configs.get("min.insync.replicas") == "2", info.name
    with admin_client(cluster.bootstrap_servers, **admin) as client:
        for topic in client.describe_topics(list(topics.TOPIC_NAMES)):
            assert {len(p["replica_nodes"]) for p in topic["partitions"]} == {3}, topic["name"]


async def test_every_principal_can_write_every_topic_its_row_allows(cluster: KafkaCluster) -> None:
    written = 0
    for principal, row in principals.ROWS.items():
        for topic in row.writes:
            await send_as(cluster, principal, topic, [f"from {principal}".encode()])
            written += 1
    assert written == sum(len(row.writes) for row in principals.ROWS.values()) >= 18


async def test_every_reader_can_read_its_topics_in_its_own_groups(cluster: KafkaCluster) -> None:
    for principal, row in principals.ROWS.items():
        for topic in row.reads:
            group = f"{row.group}-acl-test" if row.group else None
            await read_as(cluster, principal, topic, group=group, timeout=15)


@pytest.mark.parametrize(
    ("principal", "topic", "why"),
    [
        ("carers-referrals", topics.REGISTRY, "another service's topic"),
        ("carers-notifications", topics.STATUS, "another service's topic"),
        ("carers-consultation", topics.INBOUND, "the registry's own inbound topic"),
        (GP, HOSPITAL_TOPIC, "another partner's inbound topic"),
        (GP, topics.INBOUND, "the registry's own inbound topic"),
        (GP, topics.DEADLETTER, "the dead-letter topic"),
    ],
)
async def test_a_forbidden_write_is_refused(
    cluster: KafkaCluster, principal: str, topic: str, why: str
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await send_as(cluster, principal, topic, [b"not allowed"])


@pytest.mark.parametrize(
    ("principal", "topic"),
    [
        ("carers-referrals", topics.SELFSERVICE),  # internal: sign-in code requests
        ("carers-consultation", topics.REGISTRY),
        (GP, topics.DEADLETTER),
        (GP, topics.STATUS),
        (principals.OPERATOR, topics.SELFSERVICE),
    ],
)
async def test_a_forbidden_read_is_refused(
    cluster: KafkaCluster, principal: str, topic: str
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await read_as(cluster, principal, topic, timeout=15)


async def test_a_service_cannot_join_another_services_consumer_group(
    cluster: KafkaCluster,
) -> None:
    with pytest.raises(GroupAuthorizationFailedError):
        await read_as(cluster, "carers-referrals", topics.REGISTRY, group="carers-notifications")


@pytest.mark.parametrize("principal", [*principals.ROWS])
def test_no_client_principal_may_create_topics(cluster: KafkaCluster, principal: str) -> None:
    options = cluster.kafka_python_options(principal)
    with admin_client(cluster.bootstrap_servers, timeout_s=15, **options) as admin:
        result = admin.create_topics(
            {"carers.sneaky.v1": {"num_partitions": 1, "replication_factor": 3}},
            raise_errors=False,
        )
    (topic,) = result["topics"]
    assert topic["error_code"] == 29, topic  # TOPIC_AUTHORIZATION_FAILED


async def test_a_wrong_password_is_refused(cluster: KafkaCluster) -> None:
    producer = AIOKafkaProducer(**security(cluster, GP, password="guessed"))
    with pytest.raises(KafkaError):
        await asyncio.wait_for(producer.start(), 30)
    await producer.stop()


async def test_a_client_without_tls_and_sasl_gets_nothing(cluster: KafkaCluster) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap_servers)
    with pytest.raises((KafkaConnectionError, KafkaError, asyncio.TimeoutError)):
        await asyncio.wait_for(producer.start(), 15)
    await producer.stop()


def test_the_set_up_super_user_is_not_a_client_principal(cluster: KafkaCluster) -> None:
    assert principals.ADMIN not in principals.ROWS
    with pytest.raises((SyncKafkaError, KeyError)):
        cluster.client_env("carers-nobody")
