"""Kafka message keys are NHS numbers, so FastStream's spans must not carry them."""

from __future__ import annotations

from dataclasses import dataclass, field

from opentelemetry.semconv.trace import SpanAttributes

from shared.messaging.broker import _keyless_attributes


@dataclass
class _Record:
    key: bytes = b"9434765919"
    topic: str = "carers.inbound.v1"
    partition: int = 2
    offset: int = 7
    timestamp: int = 0


@dataclass
class _Message:
    raw_message: object = field(default_factory=_Record)
    message_id: str = "m"
    correlation_id: str = "c"
    body: object = b"{}"
    headers: dict = field(default_factory=dict)


def test_a_consumed_messages_span_attributes_leave_out_its_key() -> None:
    attrs = _keyless_attributes(_Record()).get_consume_attrs_from_message(_Message())
    assert SpanAttributes.MESSAGING_KAFKA_MESSAGE_KEY not in attrs
    assert "9434765919" not in repr(attrs)
    assert attrs[SpanAttributes.MESSAGING_KAFKA_DESTINATION_PARTITION] == 2


def test_a_batch_keeps_no_key_either() -> None:
    batch = _Message(raw_message=(_Record(), _Record(key=b"9000000009")), body=[b"{}", b"{}"])
    attrs = _keyless_attributes(batch.raw_message).get_consume_attrs_from_message(batch)
    assert "9434765919" not in repr(attrs) and "9000000009" not in repr(attrs)
    assert attrs[SpanAttributes.MESSAGING_BATCH_MESSAGE_COUNT] == 2
