"""Referral use cases: react to carer changes; staff move referrals through their lifecycle."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.referrals.domain import rules
from services.referrals.domain.model import Referral
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from shared import topics
from shared.events import CloudEvent

REFERRALS_SOURCE = "urn:carers:referrals"


async def review_referrals(envelope: CloudEvent, carer: Any, uow: ReferralsUnitOfWork) -> None:
    """On ``carer.registered``/``carer.updated``: open due referrals, withdraw unconsented ones.

    A service gets a new referral only if the carer has none there yet, or the last one was
    withdrawn (consent given again): a completed or declined referral is not reopened by a
    later identification; staff decide that.
    """
    data = envelope.data
    share_with = frozenset((data.get("consent") or {}).get("share_with") or [])
    facts = rules.CarerFacts(
        category=data.get("category"),
        share_with=share_with,
        support_requested=frozenset(data.get("support_requested") or []),
    )
    existing = await uow.referrals.for_carer(carer.carer_id)
    for referral in existing:
        if referral.is_open and rules.consent_lost(referral.service, share_with):
            partner = rules.PARTNER_FOR_SERVICE[referral.service]
            referral.withdraw(f"the carer withdrew consent to share with {partner}", envelope.time)
            await save_and_publish(referral, uow)
    for service in rules.services_due(facts):
        history = [r for r in existing if r.service == service]
        if history and history[-1].status != "withdrawn":
            continue
        referral = Referral.request(
            str(uuid.uuid4()),
            carer.carer_id,
            service,
            story=data.get("story"),
            identified_by=data.get("identified_by") or [],
            category=facts.category,
            at=envelope.time,
        )
        uow.referrals.add(referral)
        publish(referral, uow)


async def save_and_publish(referral: Referral, uow: ReferralsUnitOfWork) -> None:
    await uow.referrals.save(referral)
    publish(referral, uow)


def publish(referral: Referral, uow: ReferralsUnitOfWork) -> None:
    for event_type, body in referral.pending_events:
        uow.publish(
            topics.REFERRALS,
            referral.carer_id,
            CloudEvent.new(event_type, REFERRALS_SOURCE, referral.carer_id, body),
        )
    referral.pending_events.clear()


async def change_referral(
    uow: ReferralsUnitOfWork, referral_id: str, step: str, at: datetime, **arguments: Any
) -> Referral | None:
    """A member of staff accepts, declines, completes or withdraws a referral."""
    referral = await uow.referrals.get(referral_id)
    if referral is None:
        return None
    getattr(referral, step)(at=at, **arguments)
    await save_and_publish(referral, uow)
    await uow.commit()
    return referral


HANDLERS = {"carer.registered": review_referrals, "carer.updated": review_referrals}
