"""Keeping the self-service tables in step with the registry's own handlers.

Why after handlers and not wrappers: the registry's handlers match, track and erase; the
self-service part only needs to know what they did (which record a reference became, which
referrals a carer has, that a carer was erased). It declares that as after handlers keyed by
event type (:data:`AFTER_HANDLERS`), which the registry's bootstrap hands to its processors;
the processor calls them in the same transaction once the handler has succeeded. Nothing here
knows how the registry's handlers are arranged, and they know nothing of self-service.
"""

from __future__ import annotations

from services.registry.adapters.claims import ClaimRepository
from services.registry.selfservice.adapters.repository import SelfServiceRepository
from services.registry.selfservice.service_layer.use_cases import SELF_SOURCE
from services.registry.service_layer.matching import demographic_key
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared import topics
from shared.messaging.processor import AfterHandler, Event
from shared.topics import TOPICS


async def link_references(events: list[Event], uow: RegistryUnitOfWork) -> None:
    """After matching, point each self-service reference at the record it became."""
    repo = SelfServiceRepository(uow.session)
    for envelope, identification in events:
        if envelope.source != SELF_SOURCE:
            continue
        person = identification.person
        candidates = []
        if person.nhs_number:
            candidates = [uow.carers.find_by_nhs_number(person.nhs_number)]
        key = demographic_key(person)
        if key:
            candidates += uow.carers.find_by_match_key(key)
        for carer in candidates:
            if carer and any(s.event_id == envelope.id for s in carer.sources):
                await repo.link(envelope.id, carer.carer_id)
                break
        else:
            # Held as a claim on an existing record: the reference names that record, so
            # "Check your support" sends a code to the channel ALREADY on it, and only the
            # real carer can sign in and confirm (contract 6.3).
            claim = await ClaimRepository(uow.session).for_event(envelope.id)
            if claim is not None:
                await repo.link(envelope.id, claim.carer_id)


async def track_referrals(events: list[Event], uow: RegistryUnitOfWork) -> None:
    """After the status snapshot, remember each referral (with its due date) for the carer,
    unless the carer was erased; the rows are read in one query for the run."""
    repo = SelfServiceRepository(uow.session)
    await repo.load_tracked(envelope.data["referral_id"] for envelope, _ in events)
    for envelope, referral in events:
        if not await uow.carers.was_erased(referral.carer_id):  # known from the run
            await repo.track_referral(envelope.data, envelope.time)


async def forget_erased(events: list[Event], uow: RegistryUnitOfWork) -> None:
    """After erasure, nothing of the carer stays in the self-service tables either."""
    repo = SelfServiceRepository(uow.session)
    for _envelope, request in events:
        await repo.forget(request.carer_id)


AFTER_HANDLERS: dict[str, AfterHandler[RegistryUnitOfWork]] = {
    "carer.identified": link_references,
    "carer.erasure_requested": forget_erased,
}
"""For the processors of the inbound topics (the registry's own and each partner's)."""

REFERRAL_AFTER_HANDLERS: dict[str, AfterHandler[RegistryUnitOfWork]] = {
    event_type: track_referrals
    for spec in TOPICS
    if spec.name == topics.REFERRALS
    for event_type in spec.event_types
}
"""For the processor of ``referrals.v1``: every referral event the registry reads."""
