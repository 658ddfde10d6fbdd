"""Dead letters: messages a service could not process, kept whole with the reason.

A dead letter is a JSON object on ``carers.deadletter.v1``, keyed by the original key:

    {"service", "reason", "topic", "partition", "offset", "key",
     "original": base64 of the original bytes, "original_size", "original_truncated",
     "dead_lettered_at"}

Dead letters are written through the service's outbox in the same transaction that records
the original (topic, partition, offset) in the inbox, so each bad message is dead-lettered
exactly once and the offset is committed only after that. A message larger than Kafka's
message size limit keeps its first ``MAX_ORIGINAL_BYTES`` here; the whole of it stays at its
topic/partition/offset until retention removes it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_ORIGINAL_BYTES = 256 * 1024


@dataclass(frozen=True)
class RawRecord:
    """The parts of a consumed Kafka record that a dead letter keeps."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    @classmethod
    def from_consumer_record(cls, record: Any) -> RawRecord:
        return cls(record.topic, record.partition, record.offset, record.key, record.value)

    @property
    def inbox_source(self) -> str:
        """The inbox identity of a record that never became an event: its position."""
        return f"kafka:{self.topic}/{self.partition}"


def dead_letter_value(record: RawRecord, service: str, reason: str) -> bytes:
    original = record.value or b""
    kept = original[:MAX_ORIGINAL_BYTES]
    return json.dumps(
        {
            "service": service,
            "reason": reason,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": record.key.decode("utf-8", "replace") if record.key is not None else None,
            "original": base64.b64encode(kept).decode("ascii"),
            "original_size": len(original),
            "original_truncated": len(kept) < len(original),
            "dead_lettered_at": datetime.now(UTC).isoformat(),
        },
        ensure_ascii=False,
    ).encode()


def read_dead_letter(value: bytes) -> dict[str, Any]:
    """Parse a dead letter; ``original_bytes`` is added, decoded."""
    letter: dict[str, Any] = json.loads(value)
    letter["original_bytes"] = base64.b64decode(letter["original"])
    return letter
