"""Which body model goes with which event type, and turning raw Kafka bytes into models.

A consumer must never stop on a bad message (contract 2): it sends it to the dead-letter topic
with a reason a person can act on. ``parse_event`` therefore raises one exception type,
``InvalidEvent``, whose ``reason`` names the field at fault ("data.person.nhs_number: ...").
Reasons name the field and the rule, never the value (contract 6.5): no NHS number, postcode,
date of birth, email address or mobile number, because dead-letter messages and logs are read by
operators who have no need to see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from shared.events import inbound, outbound, selfservice
from shared.events.envelope import CloudEvent

INBOUND_BODIES: dict[str, type[BaseModel]] = {
    "carer.identified": inbound.CarerIdentified,
    "gp.carer_coded": inbound.GpCarerCoded,
    "consent.updated": inbound.ConsentUpdated,
    "carer.erasure_requested": inbound.CarerErasureRequested,
}
"""Event types partners may write to ``carers.inbound.v1`` and their bodies."""

OUTBOUND_BODIES: dict[str, type[BaseModel]] = {
    "carer.registered": outbound.CarerRegistered,
    "carer.updated": outbound.CarerUpdated,
    "carer.merged": outbound.CarerMerged,
    "carer.erased": outbound.CarerErased,
    "consent.widened": outbound.ConsentWidened,
    "gp.coding_suggested": outbound.GpCodingSuggested,
    "carer.status": outbound.CarerStatus,
    "referral.created": outbound.ReferralCreated,
    "referral.accepted": outbound.ReferralAccepted,
    "referral.declined": outbound.ReferralDeclined,
    "referral.completed": outbound.ReferralCompleted,
    "referral.withdrawn": outbound.ReferralWithdrawn,
    "referral.overdue": outbound.ReferralOverdue,
    "notification.sent": outbound.NotificationSent,
    "notification.delivered": outbound.NotificationDelivered,
    "notification.failed": outbound.NotificationFailed,
    "consultation.response_submitted": outbound.ConsultationResponseSubmitted,
    "consultation.interest_registered": outbound.ConsultationInterestRegistered,
    "selfservice.code_requested": selfservice.SigninCodeRequested,
}
"""Event types the project publishes and their bodies."""

ALL_BODIES: dict[str, type[BaseModel]] = {**INBOUND_BODIES, **OUTBOUND_BODIES}

# Fields whose values are contact details: their errors get a fixed message with no value.
_SENSITIVE_MESSAGES = {
    "email": "is not a valid email address",
    "mobile": "is not a valid UK mobile number",
}
_ENUM_ERRORS = {"literal_error", "enum"}
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


class InvalidEvent(Exception):
    """A message that cannot be processed; ``reason`` is what goes in the dead-letter record.

    ``event`` is the envelope when it was valid and only the body failed, so the dead-letter
    record can carry the event type and id.
    """

    def __init__(self, reason: str, event: CloudEvent | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event = event


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    """``prefix`` and ``loc`` as "data.caring_for[0].needs[1]"."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(error: Mapping[str, Any]) -> str:
    """One error's message: sensitive values masked, enum errors showing what was sent."""
    loc = error.get("loc", ())
    field = next((p for p in reversed(loc) if isinstance(p, str)), None)
    if field in _SENSITIVE_MESSAGES and error["type"] != "missing":
        return _SENSITIVE_MESSAGES[field]
    msg = str(error["msg"])
    for noise in _PYDANTIC_PREFIXES:
        msg = msg.removeprefix(noise)
    given = error.get("input")
    if error["type"] in _ENUM_ERRORS and isinstance(given, str) and len(given) <= 60:
        msg = f"{given!r} is not accepted: {msg[:1].lower()}{msg[1:]}"
    return msg


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """Every error in ``exc`` as "path: message", joined by "; ".

    Path parts are joined by dots and list indexes written as [0], after ``prefix`` (such as
    "data" or "envelope"), so the reason points at the exact field in the message.
    """
    parts = []
    for error in exc.errors():
        path = _path(prefix, tuple(error["loc"]))
        message = _message(error)
        if prefix == "envelope" and path == "envelope.time" and error["type"] == "missing":
            # CloudEvents 1.0 makes time optional; say that the rule is ours (contract 2).
            message = "time is required by this contract"
        parts.append(f"{path}: {message}" if path else message)
    return "; ".join(parts)


def parse_event(
    raw: bytes | str,
    accepted: Mapping[str, type[BaseModel]],
) -> tuple[CloudEvent, BaseModel]:
    """Parse a structured-mode CloudEvent and validate its body against ``accepted[type]``.

    Raises ``InvalidEvent`` for invalid JSON, an invalid envelope, a type not in ``accepted``
    or a body that fails validation.
    """
    try:
        # orjson: strict RFC 8259 (NaN and Infinity are refused, as is invalid UTF-8), a
        # nesting limit instead of a RecursionError, and several times faster than json.
        decoded: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent(f"not valid JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise InvalidEvent(f"envelope: expected a JSON object, got {type(decoded).__name__}")
    try:
        event = CloudEvent.model_validate(decoded)
    except ValidationError as exc:
        raise InvalidEvent(describe_validation_error(exc, "envelope")) from None
    body_model = accepted.get(event.type)
    if body_model is None:
        raise InvalidEvent(
            f"envelope.type: {event.type!r} is not an event this topic accepts "
            f"({', '.join(accepted)})",
            event,
        )
    try:
        body = body_model.model_validate(event.data)
    except ValidationError as exc:
        raise InvalidEvent(describe_validation_error(exc, "data"), event) from None
    return event, body


def parse_inbound(raw: bytes | str) -> tuple[CloudEvent, BaseModel]:
    """``parse_event`` for ``carers.inbound.v1``: only the four inbound event types."""
    return parse_event(raw, INBOUND_BODIES)
