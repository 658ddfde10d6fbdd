"""CloudEvents binary content mode, read at the edges and turned into the structured form.

Partners' systems are not written by us. The CloudEvents protocol bindings give two ways to
carry an event: *structured* (the whole event is the message body, content type
``application/cloudevents+json``; what this project writes) and *binary* (the attributes are
``ce_*`` Kafka headers or ``ce-*`` HTTP headers and the body is ``data`` itself; what the
official SDKs write by default). Both are read here as one thing: the structured JSON object,
which then goes through exactly the same ``parse_event`` as every other event, so the same
rules, the same reasons and the same ``(source, id)`` de-duplication apply whatever the mode.

Kafka binding (CloudEvents 1.0, kafka-protocol-binding.md): a record whose ``content-type``
header starts with ``application/cloudevents`` is structured; otherwise a record with a
``ce_specversion`` header is binary, its ``content-type`` header being ``datacontenttype``.
A record with neither is read as structured, as it always has been here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

import orjson

from shared.events.catalogue import InvalidEvent
from shared.events.envelope import CONTENT_TYPE

KAFKA_PREFIX = "ce_"
HTTP_PREFIX = "ce-"
STRUCTURED_HEADERS: tuple[tuple[str, bytes], ...] = (("content-type", CONTENT_TYPE.encode()),)
"""The Kafka headers of every record the services publish: a structured-mode CloudEvent."""

KafkaHeaders = Sequence[tuple[str, bytes | None]]
_STRUCTURED = b"application/cloudevents"


def _structured(attributes: dict[str, Any], content_type: str | None, body: bytes) -> bytes:
    """The structured JSON object for binary-mode ``attributes`` and ``body`` (the data)."""
    if content_type:
        attributes["datacontenttype"] = content_type
    media = (content_type or "application/json").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise InvalidEvent(
            f"datacontenttype: {media} is not accepted: binary-mode data must be application/json"
        )
    try:
        attributes["data"] = orjson.loads(body) if body else None
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent(f"data: binary-mode data is not valid JSON: {exc}") from None
    return orjson.dumps(attributes)


def kafka_value(headers: KafkaHeaders, value: bytes) -> bytes:
    """The structured-mode bytes of a Kafka record: ``value`` itself unless it is binary.

    Raises ``InvalidEvent`` (the dead-letter reason) when binary-mode data is not JSON.
    """
    for name, raw in headers:  # hot path: our own records carry exactly this one header
        if name == "content-type" and raw is not None and raw.startswith(_STRUCTURED):
            return value
        break
    attributes: dict[str, Any] = {}
    content_type: str | None = None
    for name, raw in headers:
        lower = name.lower()
        if lower == "content-type":
            content_type = (raw or b"").decode("utf-8", "replace")
            if content_type.lower().startswith("application/cloudevents"):
                return value  # structured mode, declared: the common case
        elif lower.startswith(KAFKA_PREFIX):
            attributes[lower[len(KAFKA_PREFIX) :]] = (raw or b"").decode("utf-8", "replace")
    if "specversion" not in attributes:
        return value  # no CloudEvents headers: structured, as before the binding was read
    return _structured(attributes, content_type, value)


def is_binary_http(headers: Mapping[str, str]) -> bool:
    """Whether an HTTP request carries a binary-mode CloudEvent (a ``ce-specversion`` header)."""
    return HTTP_PREFIX + "specversion" in headers


def http_event(headers: Mapping[str, str], body: Any) -> dict[str, Any]:
    """The structured event of a binary-mode HTTP request: ``ce-*`` headers plus the JSON body.

    Header values are percent-decoded, as the HTTP binding asks of senders that encode them.
    ``headers`` is case-insensitive (Starlette's ``Headers``) or already lower-case.
    """
    event: dict[str, Any] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith(HTTP_PREFIX) and len(lower) > len(HTTP_PREFIX):
            event[lower[len(HTTP_PREFIX) :]] = unquote(value)
    content_type = headers.get("content-type")
    if content_type:
        event["datacontenttype"] = content_type
    event["data"] = body
    return event
