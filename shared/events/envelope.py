"""The CloudEvents 1.0 envelope in structured JSON mode (contract section 2).

Every Kafka message value in the project is one of these. Unknown attributes are kept, because
CloudEvents lets senders add extension attributes (``partitionkey``, ``dataref`` ...) and a
consumer that dropped them would break the sender's tooling when we re-publish or dead-letter.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal, Self

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from shared.events.ids import uuid4_str

CONTENT_TYPE = "application/cloudevents+json"
"""The Kafka ``content-type`` header value for a structured-mode CloudEvent."""

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
_ZERO_TRACE_ID = "0" * 32
_ZERO_SPAN_ID = "0" * 16


def check_traceparent(value: str) -> str:
    """Validate a W3C ``traceparent`` header value.

    All-zero trace and parent ids are invalid per the W3C spec, and version ``ff`` is reserved;
    continuing a trace from such a value would join unrelated requests together.
    """
    if not _TRACEPARENT.match(value):
        raise PydanticCustomError(
            "traceparent",
            "{value} is not a W3C traceparent (version-traceid-parentid-flags, lower-case hex)",
            {"value": repr(value)},
        )
    version, trace_id, span_id, _flags = value.split("-")
    if version == "ff":
        raise PydanticCustomError("traceparent", "traceparent version ff is not allowed")
    if trace_id == _ZERO_TRACE_ID:
        raise PydanticCustomError("traceparent", "traceparent trace id must not be all zeros")
    if span_id == _ZERO_SPAN_ID:
        raise PydanticCustomError("traceparent", "traceparent parent id must not be all zeros")
    return value


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event. ``(source, id)`` identifies it: a repeat is a duplicate."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"]
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: str = "application/json"
    data: dict[str, Any]
    traceparent: str | None = None

    @field_validator("traceparent")
    @classmethod
    def _valid_traceparent(cls, value: str | None) -> str | None:
        return None if value is None else check_traceparent(value)

    @field_validator("datacontenttype")
    @classmethod
    def _json_data(cls, value: str) -> str:
        # Parameters such as "; charset=utf-8" are harmless; any other media type is not JSON.
        if value.split(";", 1)[0].strip().lower() != "application/json":
            raise PydanticCustomError(
                "datacontenttype", "{value} is not application/json", {"value": repr(value)}
            )
        return value

    @property
    def dedup_key(self) -> tuple[str, str]:
        """``(source, id)``: consumers treat a repeat of this pair as a duplicate (contract 2)."""
        return (self.source, self.id)

    @property
    def extensions(self) -> dict[str, Any]:
        """Extension attributes the sender added beyond the ones this model names."""
        return dict(self.model_extra or {})

    @classmethod
    def new(
        cls,
        type: str,
        source: str,
        subject: str | None,
        data: BaseModel | dict[str, Any],
        traceparent: str | None = None,
    ) -> Self:
        """A fresh event with a uuid4 id and the current UTC time.

        ``data`` may be a body model (dumped to JSON-ready values, so dates become strings) or a
        dict that is already JSON-ready.
        """
        body = data.model_dump(mode="json") if isinstance(data, BaseModel) else dict(data)
        if traceparent is not None:
            check_traceparent(traceparent)
        # Every field below is valid by construction, so skip re-validating: this runs for
        # every event the platform publishes.
        return cls.model_construct(  # type: ignore[return-value]
            specversion="1.0",
            id=uuid4_str(),
            source=source,
            type=type,
            time=datetime.now(UTC),
            subject=subject,
            data=body,
            traceparent=traceparent,
        )

    def to_bytes(self) -> bytes:
        """Compact UTF-8 JSON with non-ASCII characters kept as they are ("Siân", not "\\u00e2").

        Absent optional attributes are left out rather than sent as null, as CloudEvents asks;
        ``data`` is written exactly as held.
        """
        top: dict[str, Any] = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "subject": self.subject,
            "datacontenttype": self.datacontenttype,
            "data": self.data,
            "traceparent": self.traceparent,
            **(self.model_extra or {}),
        }
        for key in [k for k, v in top.items() if v is None and k != "data"]:
            del top[key]
        # orjson: compact UTF-8 with non-ASCII kept, RFC 3339 times, and fast at volume.
        return orjson.dumps(top, option=orjson.OPT_UTC_Z)

    @staticmethod
    def new_bytes(
        type: str,
        source: str,
        subject: str | None,
        data: dict[str, Any],
        traceparent: str | None = None,
    ) -> bytes:
        """``CloudEvent.new(...).to_bytes()`` without building the model in between.

        The outbox path of a busy service publishes two or three events per input event;
        a model built only to be serialised cost more than the serialising. The output is
        byte-for-byte what ``to_bytes`` writes for the same values (a unit test holds it).
        """
        top: dict[str, Any] = {
            "specversion": "1.0",
            "id": uuid4_str(),
            "source": source,
            "type": type,
            "time": datetime.now(UTC),
        }
        if subject is not None:
            top["subject"] = subject
        top["datacontenttype"] = "application/json"
        top["data"] = data
        if traceparent is not None:
            top["traceparent"] = traceparent
        return orjson.dumps(top, option=orjson.OPT_UTC_Z)

    @classmethod
    def from_bytes(cls, raw: bytes | str) -> Self:
        """Parse and validate a structured-mode event; raises pydantic's ValidationError."""
        return cls.model_validate_json(raw)
