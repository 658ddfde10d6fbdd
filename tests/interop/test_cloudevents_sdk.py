"""CloudEvents as the official Python SDK (PyPI ``cloudevents``, ``cloudevents.core``) writes
and reads them, against the registry on the real broker (both databases) and over HTTP:
binary and structured content modes, de-duplication by (source, id) whatever the mode, the
``content-type`` header on what the services publish, and dead letters the SDK can read."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from sqlmodel import func, select

from services.registry.adapters.orm import CarerRow
from services.registry.bootstrap import Registry
from shared import topics
from shared.messaging.tables import InboxRecord
from tests.harness import eventually, read_topic

pytestmark = pytest.mark.kafka

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "docs" / "examples" / "cloudevent-carer-identified.json"
)
Bearer = Callable[[str, str], dict[str, str]]


def sdk_event(event_id: str, nhs_number: str = "9434765919", **person: Any) -> SdkEvent:
    """The contract's example identification, as the SDK builds a CloudEvent."""
    raw = json.loads(EXAMPLE.read_text())
    data = copy.deepcopy(raw["data"])
    data["person"].update(nhs_number=nhs_number, **person)
    attributes = {
        "id": event_id,
        "source": raw["source"],
        "type": raw["type"],
        "time": datetime.fromisoformat(raw["time"]),
        "subject": nhs_number,
        "datacontenttype": "application/json",
    }
    return SdkEvent(attributes, data)


async def send(bootstrap: str, topic: str, message: ce_kafka.KafkaMessage, key: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        headers = list(message.headers.items())
        await producer.send_and_wait(topic, message.value, key=key, headers=headers)
    finally:
        await producer.stop()


async def scalar(registry: Registry, statement: Any) -> int:
    async with registry.runtime.sessions() as session:
        return int((await session.exec(statement)).one())


async def carers(registry: Registry) -> int:
    return await scalar(registry, select(func.count()).select_from(CarerRow))


async def inbox_has(registry: Registry, source: str, event_id: str) -> bool:
    statement = select(func.count()).where(
        InboxRecord.source == source, InboxRecord.event_id == event_id
    )
    return await scalar(registry, statement) == 1


def kafka_message(record: Any) -> ce_kafka.KafkaMessage:
    headers = {name: value for name, value in record.headers or ()}
    return ce_kafka.KafkaMessage(headers=headers, key=record.key, value=record.value)


async def test_a_binary_mode_event_from_the_sdk_is_read_and_its_structured_resend_is_a_duplicate(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    topic = namespace + topics.INBOUND
    event = sdk_event("sdk-binary-1")
    await send(kafka_bootstrap, topic, ce_kafka.to_binary_event(event), b"9434765919")
    await eventually(lambda: inbox_has(registry, "ods:C82001", "sdk-binary-1"))
    assert await carers(registry) == 1

    # The same (source, id) again, now structured: no second effect.
    await send(kafka_bootstrap, topic, ce_kafka.to_structured_event(event), b"9434765919")
    marker = sdk_event("sdk-marker", nhs_number="9000000009")
    await send(kafka_bootstrap, topic, ce_kafka.to_binary_event(marker), b"9000000009")
    await eventually(lambda: inbox_has(registry, "ods:C82001", "sdk-marker"))
    assert await carers(registry) == 2
    registry_events = [
        json.loads(r.value)
        for r in await read_topic(kafka_bootstrap, namespace + topics.REGISTRY)
        if r.value
    ]
    assert [e["type"] for e in registry_events].count("carer.updated") == 0


async def test_what_the_registry_publishes_is_structured_with_its_content_type_and_the_sdk_reads_it(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    event = sdk_event("sdk-binary-2")
    await send(
        kafka_bootstrap, namespace + topics.INBOUND, ce_kafka.to_binary_event(event), b"9434765919"
    )

    async def published() -> list[Any] | None:
        records = await read_topic(kafka_bootstrap, namespace + topics.REGISTRY)
        return records or None

    records = await eventually(published)
    for record in records:
        assert dict(record.headers)["content-type"] == b"application/cloudevents+json"
        read = ce_kafka.from_kafka_event(kafka_message(record))
        assert read.get_type() == "carer.registered"
        assert read.get_source() == "urn:carers:registry"
        assert isinstance(read.get_data(), dict)


async def test_a_bad_binary_event_is_dead_lettered_as_a_cloudevent_keeping_its_headers(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    event = sdk_event("sdk-bad-1", nhs_number="9434765918")
    sent = ce_kafka.to_binary_event(event)
    await send(kafka_bootstrap, namespace + topics.INBOUND, sent, b"9434765918")

    async def dead_letters() -> list[Any] | None:
        return await read_topic(kafka_bootstrap, namespace + topics.DEADLETTER) or None

    [record] = await eventually(dead_letters)
    assert dict(record.headers)["content-type"] == b"application/cloudevents+json"
    letter = ce_kafka.from_kafka_event(kafka_message(record))
    assert letter.get_type() == "deadletter.recorded"
    assert letter.get_source() == "urn:carers:registry"
    data = letter.get_data()
    assert isinstance(data, dict)
    assert data["reason"] == "data.person.nhs_number: fails the NHS number Modulus 11 check"
    assert "9434765918" not in data["reason"]
    kept = {h["name"]: h["value"] for h in data["headers"]}
    assert kept == {name: value.decode() for name, value in sent.headers.items()}
    assert base64.b64decode(data["original"]) == sent.value
    assert data["topic"] == namespace + topics.INBOUND


async def test_over_http_a_binary_mode_resend_keeps_the_callers_id_and_has_one_effect(
    registry: Registry, registry_http: httpx.AsyncClient, token: Bearer
) -> None:
    message = ce_http.to_binary_event(sdk_event("sdk-http-1"))
    headers = {**message.headers, **token("gp", "C82001")}
    first = await registry_http.post("/identifications", content=message.body, headers=headers)
    again = await registry_http.post("/identifications", content=message.body, headers=headers)

    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["id"] == again.json()["id"] == "sdk-http-1"
    await eventually(lambda: inbox_has(registry, "ods:C82001", "sdk-http-1"))
    assert await carers(registry) == 1


async def test_over_http_a_structured_event_from_the_sdk_is_accepted(
    registry: Registry, registry_http: httpx.AsyncClient, token: Bearer
) -> None:
    message = ce_http.to_structured_event(sdk_event("sdk-http-2"))
    headers = {**message.headers, **token("gp", "C82001")}
    response = await registry_http.post("/identifications", content=message.body, headers=headers)
    assert response.status_code == 202
    assert response.json()["id"] == "sdk-http-2"


async def test_over_http_a_binary_event_with_a_bad_nhs_number_is_a_422_naming_the_field(
    registry: Registry, registry_http: httpx.AsyncClient, token: Bearer
) -> None:
    message = ce_http.to_binary_event(sdk_event("sdk-http-3", nhs_number="9434765918"))
    headers = {**message.headers, **token("gp", "C82001")}
    response = await registry_http.post("/identifications", content=message.body, headers=headers)
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["data", "person", "nhs_number"]
    assert "9434765918" not in json.dumps(response.json())
