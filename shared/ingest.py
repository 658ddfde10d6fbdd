"""Accepting inbound events over HTTP: validate, then hand to Kafka before answering 202.

The HTTP edge publishes straight to ``carers.inbound.v1`` (acks=all, idempotent) and answers
202 only after the broker has the event, so a partner that got 202 can forget it: the event
is as durable as one sent to Kafka directly, and takes the same path through the registry.
Partners may send a CloudEvent in structured or binary mode (``ce-*`` headers); what goes to
Kafka is always structured, with the ``content-type`` header the Kafka binding expects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from fastapi import HTTPException, status
from pydantic import BaseModel

from shared import topics
from shared.events import INBOUND_BODIES, CloudEvent, InvalidEvent, check_traceparent, parse_event
from shared.events.binary import STRUCTURED_HEADERS, http_event, is_binary_http
from shared.telemetry import current_traceparent


def unprocessable(reason: str) -> HTTPException:
    """422 whose detail lists each problem as {"loc", "msg"}, like FastAPI's own."""
    details = []
    for part in reason.split("; "):
        field, _, message = part.partition(": ")
        details.append({"loc": field.split("."), "msg": message or field, "type": "value_error"})
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, details)


def envelope_from_request(
    payload: Any,
    event_type: str,
    source: str,
    subject_of: Callable[[dict[str, Any]], str | None],
    traceparent: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[CloudEvent, BaseModel]:
    """A full CloudEvent as sent, or a bare body wrapped in a new envelope from ``source``.

    A full CloudEvent comes in either content mode: structured (the body has ``specversion``)
    or binary (``ce-*`` headers, the body is ``data``). Either way the caller's ``id`` is
    kept, so a resend is a duplicate (contract 2) rather than a second identification.
    """
    if headers is not None and is_binary_http(headers):
        raw = json.dumps(http_event(headers, payload))
    elif isinstance(payload, dict) and "specversion" in payload:
        raw = json.dumps(payload)
    elif isinstance(payload, dict):
        # The caller's W3C trace (its ``traceparent`` header) continues through the platform.
        raw = CloudEvent.new(
            event_type,
            source,
            subject_of(payload),
            payload,
            traceparent=_valid(traceparent) or current_traceparent(),
        ).model_dump_json()
    else:
        raise unprocessable("body: expected a JSON object")
    try:
        envelope, body = parse_event(raw, {event_type: INBOUND_BODIES[event_type]})
    except InvalidEvent as invalid:
        raise unprocessable(invalid.reason) from None
    return envelope, body


async def publish_inbound(
    producer: AIOKafkaProducer, envelope: CloudEvent, key: str, topic: str = topics.INBOUND
) -> None:
    """Send to ``carers.inbound.v1`` and wait for the broker's acknowledgement."""
    await producer.send_and_wait(
        topic, envelope.to_bytes(), key=key.encode(), headers=list(STRUCTURED_HEADERS)
    )


def _valid(traceparent: str | None) -> str | None:
    """A header value worth continuing; a malformed one starts a fresh trace instead."""
    if not traceparent:
        return None
    try:
        return check_traceparent(traceparent.strip())
    except ValueError:
        return None
