"""The message schemas the AsyncAPI documents carry: CloudEvents per topic, dead letters.

Split from :mod:`shared.ops.apidocs`. The payload of each channel is the CloudEvent schema of
the topic's event types (``shared.events``), so a partner reads the same rules the services
enforce; a dead letter is documented as the envelope the dead-letter writer really produces.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from shared import topics
from shared.events import INBOUND_BODIES, OUTBOUND_BODIES, CloudEvent

# -- schemas --------------------------------------------------------------------------------


class DeadLetterData(BaseModel):
    """A message a service could not process (``shared.messaging.deadletter``): kept whole,
    with the reason naming the field and the rule (never the value)."""

    service: str = Field(description="the service that could not process it")
    reason: str = Field(description="why, naming the field, e.g. data.person.nhs_number: ...")
    topic: str
    partition: int
    offset: int
    key: str | None
    original: str = Field(description="base64 of the original bytes")
    original_size: int
    original_truncated: bool
    dead_lettered_at: str = Field(description="RFC 3339 time")
    headers: list[dict[str, str]] = Field(
        description="the original record's Kafka headers, each {name, value} "
        "(value_base64 when not UTF-8); binary-mode CloudEvents keep their ce_* attributes here"
    )


class DeadLetter(CloudEvent):
    """A dead letter: a structured CloudEvent of type deadletter.recorded from
    urn:carers:<service>, keyed by the original message's key."""

    type: Literal["deadletter.recorded"]  # type: ignore[assignment]
    data: DeadLetterData  # type: ignore[assignment]


STRUCTURED_HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every record the services publish is a structured-mode CloudEvent.",
    "properties": {
        "content-type": {"type": "string", "const": "application/cloudevents+json"},
    },
    "required": ["content-type"],
}
RECEIVED_HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "CloudEvents Kafka protocol binding, either content mode. Structured: header "
        "content-type application/cloudevents+json (or no CloudEvents headers at all) and the "
        "whole event as the value. Binary: the attributes as ce_* headers (UTF-8), header "
        "content-type application/json, and the value is the event's data. Both modes are "
        "de-duplicated by (source, id) and meet the same rules."
    ),
    "properties": {
        "content-type": {"type": "string"},
        **{
            f"ce_{name}": {"type": "string"}
            for name in ("specversion", "id", "source", "type", "time", "subject", "traceparent")
        },
    },
}


def _camel(topic: str) -> str:
    return "".join(part.title() for part in topic.removeprefix("carers.").split(".")) + "Event"


@cache
def topic_schema(topic: str) -> type[BaseModel]:
    """The message schema on a topic: a CloudEvent whose ``type`` and ``data`` are that
    topic's event types and bodies (``shared.topics`` and ``shared.events``)."""
    if topic == topics.DEADLETTER:
        return DeadLetter
    spec = next(s for s in topics.TOPICS if s.name == topic)
    bodies = {**INBOUND_BODIES, **OUTBOUND_BODIES}
    models = tuple(dict.fromkeys(bodies[t] for t in spec.event_types))
    data_type: Any = models[0] if len(models) == 1 else _union(models)
    type_literal: Any = Literal[spec.event_types]  # type: ignore[valid-type]
    return create_model(  # type: ignore[no-any-return,call-overload]
        _camel(topic),
        __base__=CloudEvent,
        __doc__=f"A CloudEvent on {topic} (contract sections 1-4b).",
        type=(type_literal, ...),
        data=(data_type, ...),
    )


def _union(models: tuple[type[BaseModel], ...]) -> Any:
    result: Any = models[0]
    for model in models[1:]:
        result = result | model
    return result
