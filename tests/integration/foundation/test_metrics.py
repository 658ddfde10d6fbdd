"""Every service serves Prometheus metrics: FastStream's and the platform's own counters."""

from __future__ import annotations

import re

import httpx
import pytest

from services.registry.bootstrap import Registry
from shared import topics
from tests.harness import eventually, identification, produce

pytestmark = pytest.mark.kafka


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_what_the_service_did(
    registry: Registry, registry_http: httpx.AsyncClient, kafka_bootstrap: str, namespace: str
) -> None:
    before = (await registry_http.get("/metrics")).text
    registered_before = _value(
        before, "carers_events_published_total", service="registry", event_type="carer.registered"
    )
    dead_before = _value(before, "carers_dead_letters_total", service="registry")
    await produce(
        kafka_bootstrap,
        namespace + topics.INBOUND,
        [identification().to_bytes(), b"not json"],
        b"9434765919",
    )

    async def counted() -> str | None:
        text = (await registry_http.get("/metrics")).text
        done = _value(text, "carers_dead_letters_total", service="registry") > dead_before
        return (
            text
            if done
            and _value(
                text,
                "carers_events_published_total",
                service="registry",
                event_type="carer.registered",
            )
            > registered_before
            else None
        )

    text = await eventually(counted)
    assert (
        _value(
            text, "carers_events_published_total", service="registry", event_type="carer.registered"
        )
        == registered_before + 1
    )
    assert _value(text, "carers_dead_letters_total", service="registry") == dead_before + 1
    assert re.search(r"^carers_consumer_lag\{", text, re.M)
    assert re.search(r"^carers_outbox_pending\{service=\"registry\"\}", text, re.M)
    assert "faststream_received_messages_total" in text  # FastStream's own middleware
