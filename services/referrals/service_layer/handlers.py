"""Referral use cases: react to the registry's carer events; staff move referrals on.

Event handlers run inside the processor's transaction (inbox, state and outbox commit
together), so a redelivered event is skipped by the inbox before it reaches them. They act
at the event's own ``time``, so handling the same event again would decide the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.referrals.domain import access, rules
from services.referrals.domain.model import SYSTEM, TRANSITIONS, CarerDetails, Referral
from services.referrals.domain.queue import QueueFilter, Read
from services.referrals.domain.working_days import WorkingCalendar, england_and_wales, local_date
from services.referrals.domain.working_days import due_by as working_due_by
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from shared import topics
from shared.auth import Principal
from shared.events import CloudEvent
from shared.telemetry import continued_span, current_traceparent

REFERRALS_SOURCE = "urn:carers:referrals"
Handler = Callable[[CloudEvent, Any, ReferralsUnitOfWork], Awaitable[None]]
BatchHandler = Callable[[list[tuple[CloudEvent, Any]], ReferralsUnitOfWork], Awaitable[None]]


class ReferralNotFound(Exception):
    """No such referral in the caller's queue (HTTP 404)."""


@dataclass(frozen=True)
class ServiceLevel:
    """How long a team has to accept a referral: ``working_days`` on ``calendar``."""

    working_days: int = 5
    calendar: WorkingCalendar = field(default_factory=england_and_wales)

    def due_by(self, arrived: datetime) -> date:
        return working_due_by(arrived, self.working_days, self.calendar)


# -- the registry's events ---------------------------------------------------------------


@dataclass
class _Changes:
    """What one batch of carer events decided: written once, published in decision order."""

    new: dict[str, Referral] = field(default_factory=dict)
    changed: dict[str, Referral] = field(default_factory=dict)
    events: list[tuple[Referral, str, dict[str, Any], str | None]] = field(default_factory=list)

    def note(self, referral: Referral) -> None:
        if referral.referral_id not in self.new:
            self.changed[referral.referral_id] = referral
        # Each event keeps the trace of the carer event that caused it (the current span).
        traceparent = current_traceparent()
        self.events.extend((referral, t, body, traceparent) for t, body in referral.pending_events)
        referral.pending_events.clear()


def decide(
    envelope: CloudEvent,
    carer: Any,
    history: list[Referral],
    level: ServiceLevel,
    changes: _Changes,
) -> None:
    """One ``carer.registered``/``carer.updated`` against the carer's referrals so far:
    withdraw what consent no longer allows and remove the carer's details from every referral
    to a partner they no longer share with, give open referrals the latest story, and open
    the referrals now due (appended to ``history``, so a later event in the batch sees them).
    """
    details = CarerDetails.from_event(envelope.data)
    share_with = frozenset(carer.consent.share_with if carer.consent else ())
    facts = rules.CarerFacts(carer.category, share_with, frozenset(carer.support_requested))
    for referral in history:
        if rules.consent_lost(referral.service, share_with):
            # Why closed ones too: consent is to share, not only to refer; a partner that
            # may no longer see the carer keeps none of what they told us (contract 6.4).
            if referral.is_open:
                referral.withdraw(
                    rules.consent_withdrawn_reason(referral.service),
                    at=envelope.time,
                    by=SYSTEM,
                    why=rules.WITHDRAWN_FOR_CONSENT,
                )
            if referral.remove_details_for_consent() or referral.pending_events:
                changes.note(referral)
        elif referral.refresh(details):
            changes.note(referral)
    for service in rules.services_due(facts):
        if not rules.may_refer([r.past() for r in history if r.service == service]):
            continue
        referral = Referral.request(
            str(uuid.uuid4()),
            carer.carer_id,
            service,
            details,
            at=envelope.time,
            due_by=level.due_by(envelope.time),
        )
        history.append(referral)
        changes.new[referral.referral_id] = referral
        changes.note(referral)


async def review_referrals(
    events: list[tuple[CloudEvent, Any]], uow: ReferralsUnitOfWork, level: ServiceLevel
) -> None:
    """A run of ``carer.registered``/``carer.updated`` events, set-at-a-time: the carers'
    referrals are read (and locked) in one query, written in one statement each way.

    Check-then-insert without a lock on the carer is safe here: one carer's events share a
    partition, and an instance taking over a partition starts from the last committed
    offset, so its batch repeats the other instance's uncommitted events and waits on
    their inbox claims before reading. The unique index is the last word if it ever does not.
    """
    carer_ids = list(dict.fromkeys(carer.carer_id for _, carer in events))
    erased = await uow.referrals.erased_among(carer_ids)
    histories = await uow.referrals.for_carers(carer_ids, lock=True)
    changes = _Changes()
    for envelope, carer in events:
        # Why: an erased carer is gone for good; a replayed old event must not refer them again.
        if carer.carer_id in erased:
            continue
        with continued_span(
            f"referrals.{envelope.type}",
            envelope.traceparent,
            **{"cloudevents.event_id": envelope.id},
        ):
            decide(envelope, carer, histories.setdefault(carer.carer_id, []), level, changes)
    await uow.referrals.save_all(list(changes.changed.values()))
    stored = await uow.referrals.add_all_if_none_open(list(changes.new.values()))
    for referral, event_type, body, traceparent in changes.events:
        # Why: in a rebalance another consumer may have opened this very referral a moment
        # ago; the unique index decided, and only a referral actually stored is announced.
        if referral.referral_id in changes.new and referral.referral_id not in stored:
            continue
        uow.publish(
            topics.REFERRALS,
            referral.carer_id,
            CloudEvent.new(
                event_type, REFERRALS_SOURCE, referral.carer_id, body, traceparent=traceparent
            ),
        )


async def merge_carers(envelope: CloudEvent, merged: Any, uow: ReferralsUnitOfWork) -> None:
    """``carer.merged``: the merged record's referrals now belong to the surviving carer;
    where both had one open to the same service, the merged record's is withdrawn."""
    survivor = await uow.referrals.for_carer(merged.carer_id, lock=True)
    open_services = {r.service for r in survivor if r.is_open}
    for referral in await uow.referrals.for_carer(merged.merged_carer_id, lock=True):
        referral.move_to(merged.carer_id)
        if referral.is_open and referral.service in open_services:
            referral.withdraw(
                rules.MERGED_REASON, at=envelope.time, by=SYSTEM, why=rules.WITHDRAWN_FOR_MERGE
            )
        elif referral.is_open:
            open_services.add(referral.service)
        await save_and_publish(referral, uow)


async def erase_carer(envelope: CloudEvent, erased: Any, uow: ReferralsUnitOfWork) -> None:
    """``carer.erased``: withdraw what is open ("the carer's data was erased") and remove the
    carer's story and personal details from every referral they had."""
    for referral in await uow.referrals.for_carer(erased.carer_id, lock=True):
        if referral.is_open:
            referral.withdraw(
                rules.ERASED_REASON, at=envelope.time, by=SYSTEM, why=rules.WITHDRAWN_FOR_ERASURE
            )
        referral.erase()
        await save_and_publish(referral, uow)
    await uow.referrals.remember_erased(erased.carer_id, envelope.time)


def handlers() -> dict[str, Handler]:
    """Registry events handled one at a time (rare, and each touches two carers at most)."""
    return {"carer.merged": merge_carers, "carer.erased": erase_carer}


def batch_handlers(level: ServiceLevel) -> dict[str, BatchHandler]:
    """Registry events handled a run at a time: every identification passes through here."""

    async def on_carers_changed(
        events: list[tuple[CloudEvent, Any]], uow: ReferralsUnitOfWork
    ) -> None:
        await review_referrals(events, uow, level)

    return {"carer.registered": on_carers_changed, "carer.updated": on_carers_changed}


# -- publishing --------------------------------------------------------------------------


async def save_and_publish(referral: Referral, uow: ReferralsUnitOfWork) -> None:
    await uow.referrals.save(referral)
    publish(referral, uow)


def publish(referral: Referral, uow: ReferralsUnitOfWork) -> None:
    """Queue the referral's pending events in the outbox, keyed by carer (contract 1)."""
    for event_type, body in referral.pending_events:
        uow.publish(
            topics.REFERRALS,
            referral.carer_id,
            CloudEvent.new(event_type, REFERRALS_SOURCE, referral.carer_id, body),
        )
    referral.pending_events.clear()


# -- staff -------------------------------------------------------------------------------
# Each use case opens the unit of work it is given and commits it: routes only call them.


def _read(
    reader: Principal, action: str, at: datetime, referral: Referral | None, outcome: str
) -> Read:
    return Read(
        reader.subject,
        reader.role,
        reader.org,
        action,
        at,
        referral.referral_id if referral else None,
        referral.carer_id if referral else None,
        outcome,
    )


def _seen(reader: Principal, referral: Referral | None) -> str:
    """How a read of ``referral`` by ``reader`` is recorded: the real reason (contract 6.4)."""
    if referral is None:
        return "not_found"
    return "allowed" if access.may_see(reader.role, referral.service) else "refused:scope"


async def read_referral(
    uow: ReferralsUnitOfWork, reader: Principal, referral_id: str, action: str, at: datetime
) -> Referral:
    """A referral in the caller's queue, or :class:`ReferralNotFound`; the read is audited
    (and committed) whatever the outcome, with the real reason (contract 6.4)."""
    async with uow:
        referral = await uow.referrals.get(referral_id)
        outcome = _seen(reader, referral)
        await uow.referrals.audit([_read(reader, action, at, referral, outcome)])
        await uow.commit()
    if referral is None or outcome != "allowed":
        raise ReferralNotFound(f"no referral {referral_id} in your queue")
    return referral


async def read_queue(
    uow: ReferralsUnitOfWork, reader: Principal, wanted: QueueFilter, action: str, at: datetime
) -> tuple[list[Referral], int]:
    """One page of the caller's queue; every referral on it is audited as read (a page with
    none still records that the queue was looked at)."""
    async with uow:
        referrals, total = await uow.referrals.queue(wanted)
        reads = [_read(reader, action, at, r, "allowed") for r in referrals]
        await uow.referrals.audit(reads or [_read(reader, action, at, None, "allowed")])
        await uow.commit()
    return referrals, total


async def change_referral(
    uow: ReferralsUnitOfWork,
    referral_id: str,
    step: str,
    *,
    by: Principal,
    now: datetime,
    reason: str | None = None,
    outcome: dict[str, Any] | None = None,
) -> Referral:
    """A member of staff accepts, declines, completes or withdraws a referral.

    Raises :class:`ReferralNotFound`, ``IllegalTransition`` (409), ``InvalidOutcome`` or
    ``MissingReason`` (422); nothing is saved unless the step succeeds. The answer shows the
    referral, story and all, so the step is audited as a read too (a refused one as well).
    """
    if step not in TRANSITIONS:
        raise ValueError(f"step: {step!r} is not accept, decline, complete or withdraw")
    async with uow:
        referral = await uow.referrals.get(referral_id, lock=True)
        seen = _seen(by, referral)
        if referral is None or seen != "allowed":
            await uow.referrals.audit([_read(by, step, now, referral, seen)])
            await uow.commit()
            raise ReferralNotFound(f"no referral {referral_id} in your queue")
        if step == "accept":
            referral.accept(at=now, by=by.subject)
        elif step == "decline":
            referral.decline(reason or "", at=now, by=by.subject)
        elif step == "complete":
            referral.complete(outcome or {}, today=local_date(now), at=now, by=by.subject)
        else:
            referral.withdraw(reason or "", at=now, by=by.subject)
        await save_and_publish(referral, uow)
        await uow.referrals.audit([_read(by, step, now, referral, "allowed")])
        await uow.commit()
    return referral
