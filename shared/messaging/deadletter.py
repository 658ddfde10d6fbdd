"""Dead letters: messages a service could not process, kept whole with the reason.

A dead letter on ``carers.deadletter.v1`` (keyed by the original key) is itself a structured
CloudEvent (Kafka header ``content-type: application/cloudevents+json``) of type
``deadletter.recorded`` from ``urn:carers:<service>``, so operators' tools and the CloudEvents
SDKs read it like any other event. Its ``data`` is what operators relied on before:

    {"service", "reason", "topic", "partition", "offset", "key",
     "original": base64 of the original bytes, "original_size", "original_truncated",
     "dead_lettered_at", "headers": the original record's Kafka headers}

``headers`` lists ``{"name", "value"}`` (``value_base64`` when the value is not UTF-8), so a
binary-mode CloudEvent (its attributes are ``ce_*`` headers) keeps everything and is replayed
with them. The reason names the field and the rule, never the value (contract 6.5).

Dead letters are written through the service's outbox in the same transaction that records
the original (topic, partition, offset) in the inbox, so each bad message is dead-lettered
exactly once and the offset is committed only after that. A message larger than Kafka's
message size limit keeps its first ``MAX_ORIGINAL_BYTES`` here; the whole of it stays at its
topic/partition/offset until retention removes it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from shared.events.ids import uuid4_str

MAX_ORIGINAL_BYTES = 256 * 1024
DEAD_LETTER_TYPE = "deadletter.recorded"
"""The CloudEvents ``type`` of a dead letter (docs/operations.md, the AsyncAPI documents)."""

Headers = tuple[tuple[str, bytes | None], ...]


@dataclass(frozen=True)
class RawRecord:
    """The parts of a consumed Kafka record that a dead letter keeps."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()

    @classmethod
    def from_consumer_record(cls, record: Any) -> RawRecord:
        headers = tuple(record.headers) if record.headers else ()
        return cls(record.topic, record.partition, record.offset, record.key, record.value, headers)

    @property
    def inbox_source(self) -> str:
        """The inbox identity of a record that never became an event: its position."""
        return f"kafka:{self.topic}/{self.partition}"


def _header(name: str, value: bytes | None) -> dict[str, Any]:
    raw = value or b""
    try:
        return {"name": name, "value": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"name": name, "value_base64": base64.b64encode(raw).decode("ascii")}


def dead_letter_value(record: RawRecord, service: str, reason: str) -> bytes:
    """The dead-letter CloudEvent for ``record``, as bytes."""
    original = record.value or b""
    kept = original[:MAX_ORIGINAL_BYTES]
    now = datetime.now(UTC)
    data = {
        "service": service,
        "reason": reason,
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": record.key.decode("utf-8", "replace") if record.key is not None else None,
        "original": base64.b64encode(kept).decode("ascii"),
        "original_size": len(original),
        "original_truncated": len(kept) < len(original),
        "dead_lettered_at": now.isoformat(),
        "headers": [_header(name, value) for name, value in record.headers],
    }
    event = {
        "specversion": "1.0",
        "id": uuid4_str(),
        "source": f"urn:carers:{service}",
        "type": DEAD_LETTER_TYPE,
        "time": now,
        "datacontenttype": "application/json",
        "data": data,
    }
    return orjson.dumps(event, option=orjson.OPT_UTC_Z)


def read_dead_letter(value: bytes) -> dict[str, Any]:
    """A dead letter's fields (its CloudEvent's ``data``), with ``original_bytes`` decoded and
    ``original_headers`` as (name, bytes) pairs. Dead letters written before they were
    CloudEvents (the bare object) are read too, so older ones can still be replayed."""
    parsed: dict[str, Any] = orjson.loads(value)
    letter: dict[str, Any] = dict(parsed["data"]) if "specversion" in parsed else parsed
    if "specversion" in parsed:
        letter["event_id"] = parsed.get("id")
    letter["original_bytes"] = base64.b64decode(letter["original"])
    letter["original_headers"] = [
        (
            h["name"],
            h["value"].encode() if "value" in h else base64.b64decode(h.get("value_base64", "")),
        )
        for h in letter.get("headers") or []
    ]
    return letter
