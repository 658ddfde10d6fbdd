"""Registry use cases beyond matching: GP coding, consent, erasure, referral status, reviews.

Plain functions ``(envelope, body, uow)`` (or over a run of events); the processor has
validated and deduplicated them and runs them inside one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from services.registry.adapters.claims import ClaimRepository
from services.registry.adapters.orm import MatchReview
from services.registry.domain.consent import ConsentRefused, consent_recorder
from services.registry.domain.model import Carer
from services.registry.service_layer import gp_coding
from services.registry.service_layer.matching import (
    identification_claim,
    identify_carers,
    identity_keys,
    is_unproven_self,
)
from services.registry.service_layer.publishing import (
    REGISTRY_SOURCE,
    publish_changes,
    publish_status,
)
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared import topics
from shared.events import CloudEvent, ConsentUpdated, GpCarerCoded, parse_inbound
from shared.events.ids import uuid4_str
from shared.events.inbound import CarerErasureRequested
from shared.messaging.processor import BatchHandler, Event, Handler, Unprocessable
from shared.telemetry import continued_span


async def record_gp_coding(
    envelope: CloudEvent, coding: GpCarerCoded, uow: RegistryUnitOfWork
) -> None:
    """A practice coded its patient as a carer: the record shows it (and exists)."""
    await uow.carers.lock([f"nhs:{coding.nhs_number}"])
    carer = await uow.carers.by_nhs_number(coding.nhs_number)
    if carer is None:
        carer = Carer.from_gp_coding(uuid4_str(), coding, envelope.id, envelope.time)
        uow.carers.add(carer)
    else:
        carer.record_gp_coding(
            coding.practice_ods_code, coding.coded_at, envelope.id, envelope.time
        )
        uow.carers.changed(carer)
    publish_changes(carer, uow, envelope.time)


async def update_consent(
    envelope: CloudEvent, change: ConsentUpdated, uow: RegistryUnitOfWork
) -> None:
    """``consent.updated`` replaces consent within the rules of contract 6.2 (narrowing
    always; a partner's grant to itself held as a claim); referrals and notifications
    follow the event."""
    carer = await _carer_named(change.carer_id, change.nhs_number, uow)
    recorder = consent_recorder(envelope.source, envelope.subject, carer.carer_id, carer.sources)
    try:
        carer.update_consent(
            list(change.share_with),
            change.contact,
            recorder,
            envelope.time,
            envelope.id,
            change.recorded_at,
        )
    except ConsentRefused as refused:
        raise Unprocessable(f"data.{refused}".replace(".consent.", ".", 1), envelope.id) from None
    uow.carers.changed(carer)
    publish_changes(carer, uow, envelope.time)


async def erase_carer(
    envelope: CloudEvent, request: CarerErasureRequested, uow: RegistryUnitOfWork
) -> None:
    """Remove the carer's personal data; tell every service (``carer.erased``) and
    tombstone the status topic so the last copy of their status goes too."""
    if await uow.carers.was_erased(request.carer_id):
        return  # erased before: nothing left to remove, and the world was told then
    if not await uow.carers.erase(request.carer_id, envelope.time):
        raise Unprocessable(
            f"data.carer_id: no carer {request.carer_id!r} in the registry", envelope.id
        )
    await ClaimRepository(uow.session).forget(request.carer_id)
    await gp_coding.forget(uow, request.carer_id)
    body = {"carer_id": request.carer_id, "erased_at": envelope.time.isoformat()}
    uow.publish(
        topics.REGISTRY,
        request.carer_id,
        CloudEvent.new("carer.erased", REGISTRY_SOURCE, request.carer_id, body),
    )
    uow.publish(topics.STATUS, request.carer_id, None)


async def track_referral(envelope: CloudEvent, referral: Any, uow: RegistryUnitOfWork) -> None:
    """Referral events keep the status snapshot's open referrals and outcomes current."""
    if await uow.carers.was_erased(referral.carer_id):
        return  # the referrals service is withdrawing what the erasure left open
    carer = await uow.carers.get(referral.carer_id)
    if carer is None:
        raise Unprocessable(
            f"data.carer_id: no carer {referral.carer_id!r} in the registry", envelope.id
        )
    carer.apply_referral(envelope.type, envelope.data, envelope.time)
    uow.carers.changed(carer)
    publish_status(carer, uow, envelope.time)


async def track_referrals(events: list[Event], uow: RegistryUnitOfWork) -> None:
    """A run of referral events, set-at-a-time: ``track_referral`` for each, in order.

    In the whole chain every carer's referrals come back through here; one query for who
    was erased and one for the records, not two per event, keeps that cheap.
    """
    carer_ids = {referral.carer_id for _, referral in events}
    erased = await uow.carers.erased_among(carer_ids)
    await uow.carers.load(carer_ids - erased)
    for envelope, referral in events:
        with continued_span(
            f"registry.{envelope.type}",
            envelope.traceparent,
            **{"cloudevents.event_id": envelope.id},
        ):
            await track_referral(envelope, referral, uow)


async def _carer_named(
    carer_id: str | None, nhs_number: str | None, uow: RegistryUnitOfWork
) -> Carer:
    if carer_id:
        if await uow.carers.was_erased(carer_id):
            raise Unprocessable(f"data.carer_id: carer {carer_id!r} was erased")
        carer = await uow.carers.get(carer_id)
        if carer is None:
            raise Unprocessable(f"data.carer_id: no carer {carer_id!r} in the registry")
        return carer
    assert nhs_number is not None  # the body model requires one of the two
    await uow.carers.lock([f"nhs:{nhs_number}"])
    carer = await uow.carers.by_nhs_number(nhs_number)
    if carer is None:
        raise Unprocessable("data.nhs_number: no carer holds this NHS number")
    return carer


# -- a person resolves an ambiguous match ------------------------------------------------


class ReviewConflict(Exception):
    """The review cannot be resolved that way (HTTP 409)."""


async def resolve_review(
    uow: RegistryUnitOfWork,
    review: MatchReview,
    decision: str,
    into: str | None,
    absorb: list[str],
    at: datetime,
    *,
    decided_by: str | None = None,
    reason: str | None = None,
) -> Carer:
    """Apply a held identification as a person decided (the JSON API and the council's
    review page both call this: one rule). ``decided_by`` and ``reason`` are kept on the
    review, so a merge, which cannot be undone, says who made it and why.

    ``merge``: the identification is the person of record ``into``; candidates listed in
    ``absorb`` are the same person too and are folded into it (``carer.merged`` each).
    ``keep_apart``: the identification is someone else; it becomes a record of its own.
    Either way the review is closed.
    """
    if review.status != "open":
        raise ReviewConflict(f"review {review.review_id} is already {review.status}")
    envelope, identification = parse_inbound(review.envelope.encode())
    candidates = uow.carers.review_candidates(review)
    person = identification.person  # type: ignore[attr-defined]
    await uow.carers.lock(identity_keys(person))
    if decision == "merge":
        if into not in candidates or not set(absorb) <= set(candidates) - {into}:
            raise ReviewConflict("into and absorb: choose among the candidate records")
        target = await uow.carers.get(into)
        if target is None:
            raise ReviewConflict(f"into: carer {into} no longer exists")
        for other_id in absorb:
            other = await uow.carers.get(other_id)
            if other is None:
                continue
            try:
                target.absorb_record(other, at)
            except ValueError as refused:
                raise ReviewConflict(str(refused)) from None
            await uow.carers.remove_merged(other_id)
            await ClaimRepository(uow.session).move(other_id, target.carer_id)
        if is_unproven_self(envelope, identification, target):  # type: ignore[arg-type]
            target.hold_claim(identification_claim(envelope))  # for the carer to confirm
        else:
            target.record_identification(identification, envelope.id, envelope.time)
        uow.carers.changed(target)
        carer = target
    else:
        carer = Carer.register(uuid4_str(), identification, envelope.id, envelope.time)
        uow.carers.add(carer)
    review.status = "merged" if decision == "merge" else "kept_apart"
    review.decided_at, review.decided_by = at, decided_by
    review.decision_reason = reason.strip() if reason and reason.strip() else None
    uow.session.add(review)
    publish_changes(carer, uow, at)
    return carer


async def recategorise_carers(uow_factory: Any, at: datetime, batch: int = 500) -> int:
    """Re-derive categories as time passes: a young carer turns 18, a young adult 26.

    Adults never change category, so only young carers and young adult carers are read.
    """

    async def young(uow: RegistryUnitOfWork, after: str) -> list[str]:
        return await uow.carers.ids_with_category(
            ["young_carer", "young_adult_carer"], batch, after
        )

    def recategorise(carer: Carer, uow: RegistryUnitOfWork) -> bool:
        if not carer.recategorise(at):
            return False
        uow.carers.changed(carer)
        publish_changes(carer, uow, at)
        return True

    return await for_each_carer(uow_factory, young, recategorise, batch)


async def republish_statuses(uow_factory: Any, at: datetime, batch: int = 500) -> int:
    """Publish every carer's current status snapshot again, e.g. for a partner joining late.

    The compacted status topic already holds the latest snapshot per carer; this rebuilds it
    from the registry (after a topic was lost, or its retention misconfigured). Versions do
    not change: the snapshots are the same facts, published again.
    """

    async def every(uow: RegistryUnitOfWork, after: str) -> list[str]:
        return await uow.carers.ids_after(after, batch)

    def republish(carer: Carer, uow: RegistryUnitOfWork) -> bool:
        publish_status(carer, uow, at)
        return True

    return await for_each_carer(uow_factory, every, republish, batch)


async def for_each_carer(
    uow_factory: Callable[[], RegistryUnitOfWork],
    next_ids: Callable[[RegistryUnitOfWork, str], Awaitable[list[str]]],
    visit: Callable[[Carer, RegistryUnitOfWork], bool],
    batch: int,
) -> int:
    """Visit carers page by page (keyset pagination on ``carer_id``), one transaction a
    page, so a sweep over every record never holds one long transaction; how many visits
    returned True. ``next_ids(uow, after)`` gives the next page's ids after ``after``."""
    counted, after = 0, ""
    while True:
        async with uow_factory() as uow:
            ids = await next_ids(uow, after)
            for carer_id in ids:
                carer = await uow.carers.get(carer_id)
                if carer is not None and visit(carer, uow):
                    counted += 1
            await uow.commit()
        if len(ids) < batch:
            return counted
        after = ids[-1]


def review_summary(review: MatchReview) -> dict[str, Any]:
    """A review as the council sees it: why it was held and the candidates, not the data."""
    return {
        "review_id": review.review_id,
        "event_id": review.event_id,
        "source": review.source,
        "reason": review.reason,
        "candidate_ids": json.loads(review.candidate_ids),
        "status": review.status,
        "created_at": review.created_at.isoformat(),
        "fingerprint": hashlib.sha256(review.envelope.encode()).hexdigest()[:12],
    }


HANDLERS: dict[str, Handler[RegistryUnitOfWork]] = {
    "gp.carer_coded": record_gp_coding,
    "consent.updated": update_consent,
    "carer.erasure_requested": erase_carer,
}
BATCH_HANDLERS = {"carer.identified": identify_carers}
REFERRAL_TYPES = (
    "referral.created",
    "referral.accepted",
    "referral.declined",
    "referral.completed",
    "referral.withdrawn",
)
REFERRAL_BATCH_HANDLERS: dict[str, BatchHandler[RegistryUnitOfWork]] = {
    t: track_referrals for t in REFERRAL_TYPES
}
