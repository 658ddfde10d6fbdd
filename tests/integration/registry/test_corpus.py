"""2,000+ identifications of 800 people, with variations, repeats and bad messages: exactly
800 carer records and exactly one dead letter per bad message."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from services.registry.adapters.orm import CarerRow, MatchReview
from services.registry.bootstrap import Registry
from shared import topics
from tests import corpus
from tests.harness import events_on, eventually

pytestmark = pytest.mark.kafka


async def _count(registry: Registry, model: type) -> int:
    async with registry.runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).one()[0])


async def test_the_corpus_produces_exactly_the_expected_records_and_dead_letters(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    generated = corpus.build(people=800, reports=2000)
    assert len(generated.messages) == 2000 + generated.redeliveries + generated.invalid
    await _produce_all(kafka_bootstrap, namespace + topics.INBOUND, generated.messages)

    async def settled() -> bool:
        letters = await events_on(kafka_bootstrap, namespace + topics.DEADLETTER)
        records = await _count(registry, CarerRow)
        return records >= generated.people and len(letters) >= generated.invalid

    await eventually(settled, timeout=180, interval=1.0)
    assert await _count(registry, CarerRow) == generated.people
    assert await _count(registry, MatchReview) == 0  # every person's demographics are distinct
    letters = await events_on(kafka_bootstrap, namespace + topics.DEADLETTER)
    assert len(letters) == generated.invalid
    assert all(letter["reason"] for letter in letters)
    registered = [
        e
        for e in await events_on(kafka_bootstrap, namespace + topics.REGISTRY)
        if e["type"] == "carer.registered"
    ]
    assert len({e["data"]["carer_id"] for e in registered}) == generated.people


async def _produce_all(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in messages]
        for future in futures:
            await future
    finally:
        await producer.stop()
