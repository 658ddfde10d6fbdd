"""The secured three-node cluster (shared/kafka/cluster.py) for one test module, and clients
that connect to it as a given principal, with the same settings the services use."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.kafka.cluster import KafkaCluster, temporary_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """Three nodes on free ports, contract topics (RF 3, min ISR 2) and ACLs applied; about
    20 s to start. Stopped (and the JVMs with it) when the module ends."""
    with temporary_cluster(tmp_path_factory.mktemp("kafka-cluster")) as started:
        yield started


def security(cluster: KafkaCluster, principal: str, password: str | None = None) -> dict[str, Any]:
    """aiokafka options to connect as ``principal`` (SASL_SSL, SCRAM-SHA-512, the local CA)."""
    return {
        "bootstrap_servers": cluster.bootstrap_servers,
        "security_protocol": "SASL_SSL",
        "ssl_context": ssl.create_default_context(cafile=str(cluster.ca_file)),
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": principal,
        "sasl_plain_password": password or cluster.credentials[principal],
    }


async def send_as(
    cluster: KafkaCluster, principal: str, topic: str, values: list[bytes], key: bytes = b"k"
) -> None:
    """Produce as ``principal`` with the services' producer safety (acks=all, idempotent)."""
    producer = AIOKafkaProducer(
        **security(cluster, principal),
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=15_000,
    )
    await producer.start()
    try:
        for value in values:
            await asyncio.wait_for(producer.send_and_wait(topic, value, key=key), 30)
    finally:
        await producer.stop()


async def read_as(
    cluster: KafkaCluster,
    principal: str,
    topic: str,
    *,
    group: str | None = None,
    until: int = 0,
    timeout: float = 30,
) -> list[Any]:
    """Records on ``topic`` read as ``principal`` (in ``group`` if given) from the start,
    until at least ``until`` arrived or ``timeout``; an authorisation error is raised."""
    consumer = AIOKafkaConsumer(
        topic,
        **security(cluster, principal),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for items in batch.values():
                records.extend(items)
            if records and len(records) >= until:
                break
            if not until and consumer.assignment():
                break
        return records
    finally:
        await consumer.stop()
