"""Factories for the registry events the referrals service reads, and ways to look."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from services.referrals.bootstrap import Referrals
from services.referrals.domain.model import CarerDetails, Referral
from services.referrals.service_layer.handlers import publish
from shared import topics
from shared.events import CloudEvent
from tests.harness import events_on, produce

REGISTRY_SOURCE = "urn:carers:registry"
STORY = "I look after my mum most evenings. She has dementia; I would like a break now and then."


def new_carer_id() -> str:
    return str(uuid.uuid4())


def carer_event(
    carer_id: str | None = None,
    *,
    event_type: str = "carer.registered",
    category: str | None = "adult_carer",
    share_with: tuple[str, ...] = ("gp", "council", "vasl"),
    support_requested: tuple[str, ...] = ("vasl_support",),
    story: str | None = STORY,
    given_name: str = "Siân",
    at: datetime | None = None,
) -> CloudEvent:
    """``carer.registered``/``carer.updated`` as the registry publishes it (``summary()``)."""
    carer_id = carer_id or new_carer_id()
    data: dict[str, Any] = {
        "carer_id": carer_id,
        "category": category,
        "sources": [{"kind": "gp", "org_code": "C82001", "at": "2026-03-01T10:00:00Z"}],
        "consent": {"share_with": list(share_with), "contact": True},
        "support_requested": list(support_requested),
        "caring_for": [
            {"relationship": "parent", "needs": ["dementia"], "lives_with_carer": False}
        ],
        "story": story,
        "identified_by": [{"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"}],
        "contact": {
            "given_name": given_name,
            "family_name": "O'Connor-Smith",
            "email": "sian@example.org",
            "mobile": "07700900123",
            "preferences": {"contact_channels": ["sms"], "easy_read": False, "language": "en"},
        },
        "version": 1,
    }
    event = CloudEvent.new(event_type, REGISTRY_SOURCE, carer_id, data)
    return event.model_copy(update={"time": at}) if at else event


def merged(carer_id: str, merged_carer_id: str) -> CloudEvent:
    body = {"carer_id": carer_id, "merged_carer_id": merged_carer_id}
    return CloudEvent.new("carer.merged", REGISTRY_SOURCE, carer_id, body)


def erased(carer_id: str) -> CloudEvent:
    return CloudEvent.new("carer.erased", REGISTRY_SOURCE, carer_id, {"carer_id": carer_id})


async def send(bootstrap: str, namespace: str, *events: CloudEvent) -> None:
    """Produce registry events in order, each keyed by its carer as the registry does."""
    for event in events:
        key = (event.subject or "").encode()
        await produce(bootstrap, namespace + topics.REGISTRY, [event.to_bytes()], key)


async def referrals_of(service: Referrals, carer_id: str) -> list[Referral]:
    async with service.unit_of_work() as uow:
        return await uow.referrals.for_carer(carer_id)


async def handled(service: Referrals, event: CloudEvent) -> bool:
    """Whether the service has processed ``event`` (its inbox holds it)."""
    async with service.runtime.engine.connect() as connection:
        found = await connection.execute(
            text("SELECT 1 FROM inbox WHERE source = :s AND event_id = :i"),
            {"s": event.source, "i": event.id},
        )
        return found.first() is not None


async def referral_events(bootstrap: str, namespace: str, event_type: str | None = None) -> list:
    found = await events_on(bootstrap, namespace + topics.REFERRALS)
    return [e for e in found if event_type is None or e["type"] == event_type]


async def seed(
    service: Referrals,
    referral_service: str = "vasl",
    *,
    carer_id: str | None = None,
    at: datetime | None = None,
    due_by: date | None = None,
    given_name: str = "Siân",
) -> Referral:
    """A requested referral stored and announced as the rules would make it."""
    at = at or datetime.now(UTC)
    data = carer_event(carer_id, given_name=given_name).data
    referral = Referral.request(
        str(uuid.uuid4()),
        carer_id or data["carer_id"],
        referral_service,
        CarerDetails.from_event(data),
        at=at,
        due_by=due_by or date(2099, 1, 1),
    )
    async with service.unit_of_work() as uow:
        assert await uow.referrals.add_all_if_none_open([referral]) == {referral.referral_id}
        publish(referral, uow)
        await uow.commit()
    return referral
