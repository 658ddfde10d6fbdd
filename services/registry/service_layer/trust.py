"""Attesting what the registry writes to ``carers.inbound.v1`` and checking it when read back.

The registry is the only writer allowed to speak for the carer (``urn:carers:selfservice``,
``identified_by.kind`` self). Everything it writes to the inbound topic, from HTTP and FHIR
ingest and from the self-service outbox, carries the ``carersattestation`` extension; its
consumer parses with :func:`trusted_parser`, which sends an event to the dead-letter topic
when its source is not one its writer may use (``domain.provenance.kafka_refusal``) or its
consent claims to be recorded in the future. Reasons name the field and the rule only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.registry.domain.consent import ConsentRefused, check_recorded_at
from services.registry.domain.provenance import ATTESTATION, Attestor, kafka_refusal
from shared.clock import Clock, SystemClock
from shared.events import CloudEvent, InvalidEvent, parse_inbound

Parser = Callable[[bytes | str], tuple[CloudEvent, BaseModel]]


def attest(envelope: CloudEvent, attestor: Attestor) -> CloudEvent:
    """The same event with the registry's attestation (replacing any the sender added)."""
    signature = attestor.sign(
        envelope.source, envelope.id, envelope.type, envelope.subject, envelope.data
    )
    return envelope.model_copy(update={ATTESTATION: signature})


def is_attested(envelope: CloudEvent, attestor: Attestor) -> bool:
    claimed = (envelope.model_extra or {}).get(ATTESTATION)
    if claimed is None:
        return False  # the usual partner event: no HMAC to compute
    return attestor.verifies(
        envelope.source, envelope.id, envelope.type, envelope.subject, envelope.data, claimed
    )


def _consent_time(envelope: CloudEvent, body: Any) -> tuple[str, datetime] | None:
    """The time a consent will be recorded as, and the field it comes from."""
    if envelope.type == "consent.updated":
        if body.recorded_at is not None:
            return "data.recorded_at", body.recorded_at
        return "time", envelope.time
    if envelope.type == "carer.identified" and "consent" in body.model_fields_set:
        if body.consent.recorded_at is not None:
            return "data.consent.recorded_at", body.consent.recorded_at
        return "time", envelope.time
    return None


def future_consent_reason(envelope: CloudEvent, body: Any, now: datetime) -> str | None:
    """A consent recorded (or an event carrying consent sent) after now: it would pin the
    record against every later change, so it is refused."""
    found = _consent_time(envelope, body)
    if found is None:
        return None
    field, when = found
    try:
        check_recorded_at(when, now)
    except ConsentRefused as refused:
        return field + ": " + str(refused).split(": ", 1)[1]
    return None


def trusted_parser(
    attestor: Attestor, parse: Parser = parse_inbound, clock: Clock | None = None
) -> Parser:
    """``parse_inbound`` that also refuses (``InvalidEvent``, so dead-lettered with the
    reason) events whose writer may not use their source, and consents from the future
    (by the registry's one clock)."""
    now = (clock or SystemClock()).now

    def parse_trusted(raw: bytes | str) -> tuple[CloudEvent, BaseModel]:
        envelope, body = parse(raw)
        reason = kafka_refusal(
            envelope.source, envelope.type, envelope.data, is_attested(envelope, attestor)
        ) or future_consent_reason(envelope, body, now())
        if reason is not None:
            raise InvalidEvent(reason, envelope)
        return envelope, body

    return parse_trusted
