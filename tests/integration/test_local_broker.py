"""The session broker is a real Kafka that carries the contract topics correctly.

Why: every service test builds on this broker; if topics had the wrong partition count or
the status topic were not compacted, later failures would be confusing. No mocks here.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.kafka.admin import consumer_lag, describe_topics, ensure_topics, wait_for_broker
from shared.topics import STATUS, TOPIC_NAMES, TOPICS

pytestmark = pytest.mark.kafka


def test_broker_answers_and_contract_topics_exist(kafka_bootstrap: str) -> None:
    names = wait_for_broker(kafka_bootstrap, timeout=30)
    assert set(TOPIC_NAMES) <= set(names)
    described = describe_topics(kafka_bootstrap, TOPIC_NAMES)
    assert {name: info.partitions for name, info in described.items()} == {
        spec.name: spec.partitions for spec in TOPICS
    }


def test_status_topic_is_compacted(kafka_bootstrap: str) -> None:
    configs = describe_topics(kafka_bootstrap, [STATUS])[STATUS].configs
    assert configs["cleanup.policy"] == "compact"
    assert configs["min.cleanable.dirty.ratio"] == "0.1"


async def test_produced_message_is_consumed_back(
    kafka_bootstrap: str, fresh_topic: str, unique_group: str
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        meta = await producer.send_and_wait(fresh_topic, b'{"hello":"carer"}', key=b"carer-1")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        fresh_topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=unique_group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
        await consumer.commit()
    finally:
        await consumer.stop()

    assert (record.key, record.value) == (b"carer-1", b'{"hello":"carer"}')
    assert (record.partition, record.offset) == (meta.partition, meta.offset)
    lag = await asyncio.to_thread(consumer_lag, kafka_bootstrap, unique_group)
    # aiokafka commits every assigned partition, so all three have offsets and no lag.
    assert (fresh_topic, meta.partition) in lag
    assert set(lag.values()) == {0}


def test_ensure_topics_twice_is_harmless(kafka_bootstrap: str) -> None:
    before = describe_topics(kafka_bootstrap, TOPIC_NAMES)
    assert ensure_topics(kafka_bootstrap) == []
    assert ensure_topics(kafka_bootstrap) == []
    assert describe_topics(kafka_bootstrap, TOPIC_NAMES) == before
