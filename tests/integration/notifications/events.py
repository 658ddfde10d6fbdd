"""Factories for the events the notifications service reads, and ways to send them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from shared import topics
from shared.events import CloudEvent

REGISTRY_SOURCE = "urn:carers:registry"
REFERRALS_SOURCE = "urn:carers:referrals"


def new_carer_id() -> str:
    return str(uuid.uuid4())


def registered(
    carer_id: str | None = None,
    *,
    channels: tuple[str, ...] = ("email",),
    email: str | None = "sian@example.org",
    mobile: str | None = "07700900123",
    easy_read: bool = False,
    language: str = "en",
    contact: bool = True,
    given_name: str = "Siân",
    event_type: str = "carer.registered",
) -> CloudEvent:
    """``carer.registered`` as the registry publishes it (its ``summary()``)."""
    carer_id = carer_id or new_carer_id()
    data: dict[str, Any] = {
        "carer_id": carer_id,
        "category": "adult_carer",
        "sources": [{"kind": "gp", "org_code": "C82001", "at": "2026-03-01T10:00:00Z"}],
        "consent": {"share_with": ["gp", "council", "vasl"], "contact": contact},
        "support_requested": ["vasl_support"],
        "caring_for": [],
        "story": "What caring involves.",
        "identified_by": [{"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"}],
        "contact": {
            "given_name": given_name,
            "family_name": "O'Connor-Smith",
            "email": email,
            "mobile": mobile,
            "preferences": {
                "contact_channels": list(channels),
                "easy_read": easy_read,
                "language": language,
            },
        },
        "version": 1,
    }
    return CloudEvent.new(event_type, REGISTRY_SOURCE, carer_id, data)


def referral(
    carer_id: str,
    event_type: str = "referral.created",
    *,
    service: str = "vasl",
    referral_id: str | None = None,
) -> CloudEvent:
    status = {"referral.created": "requested", "referral.accepted": "accepted"}[event_type]
    data = {
        "referral_id": referral_id or str(uuid.uuid4()),
        "carer_id": carer_id,
        "service": service,
        "status": status,
    }
    return CloudEvent.new(event_type, REFERRALS_SOURCE, carer_id, data)


def erased(carer_id: str) -> CloudEvent:
    return CloudEvent.new("carer.erased", REGISTRY_SOURCE, carer_id, {"carer_id": carer_id})


def topic_of(event: CloudEvent) -> str:
    return topics.topic_for_event(event.type)


async def send(bootstrap: str, namespace: str, *events: CloudEvent | bytes) -> None:
    """Produce events to their contract topics (keyed by carer), all acknowledged."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        deliveries = []
        for event in events:
            assert isinstance(event, CloudEvent)
            deliveries.append(
                await producer.send(
                    namespace + topic_of(event),
                    event.to_bytes(),
                    key=(event.subject or "").encode(),
                )
            )
        for delivery in deliveries:
            await delivery
    finally:
        await producer.stop()


def at(text: str) -> datetime:
    """An aware UTC datetime from ISO text ("2026-03-02T22:30:00+00:00")."""
    return datetime.fromisoformat(text).astimezone(UTC)
