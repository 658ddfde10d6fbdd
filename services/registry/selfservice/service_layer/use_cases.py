"""Carer self-service use cases (issue 7): tell us, sign in with a code, see and change.

Everything a carer does here reaches the registry the way partners' events do: the
identification, consent change and erasure request are written to ``carers.inbound.v1``
through the registry's outbox (in the same transaction as the reference that names them) and
processed by the same handlers as a GP's. The only thing that is not a contract event is the
request for a sign-in code, which goes to notifications on the internal
``carers.selfservice.v1`` without the code itself (see ``shared.signin_code``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from services.registry.adapters.claims import ClaimRepository
from services.registry.domain.model import Carer
from services.registry.selfservice.adapters.repository import SelfServiceRepository
from services.registry.selfservice.domain.signin import (
    AccessRules,
    Challenge,
    Verdict,
    check_code,
    new_reference,
    normalise_reference,
)
from services.registry.service_layer.publishing import REGISTRY_SOURCE
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared import topics
from shared.events import CloudEvent, is_valid_nhs_number, normalise_nhs_number
from shared.signin_code import code_hash, signin_code

log = logging.getLogger(__name__)
SELF_SOURCE = "urn:carers:selfservice"
"""The CloudEvents ``source`` of everything a carer sends through the self-service pages."""

ERASURE_REASON = "the carer asked for their data to be erased, through self-service"


@dataclass
class SelfService:
    """What the use cases need besides a unit of work: the code key and the rules."""

    key: bytes
    rules: AccessRules = field(default_factory=AccessRules)

    def subject(self, typed: str) -> str:
        """A keyed hash of the reference or NHS number typed: locks never hold either."""
        return hmac.new(self.key, f"subject|{typed}".encode(), hashlib.sha256).hexdigest()


def repository(uow: RegistryUnitOfWork) -> SelfServiceRepository:
    return SelfServiceRepository(uow.session)


# -- tell us you are a carer ----------------------------------------------------------------


async def tell_us(uow: RegistryUnitOfWork, identification: dict[str, Any]) -> str:
    """Queue a validated ``carer.identified`` body (kind ``self``); return the new reference."""
    reference = await _queue_identification(uow, identification)
    await uow.commit()
    return reference


async def _queue_identification(uow: RegistryUnitOfWork, identification: dict[str, Any]) -> str:
    repo = repository(uow)
    reference = new_reference()
    while await repo.reference_exists(reference):  # 40 random bits: practically never
        reference = new_reference()
    event = CloudEvent.new("carer.identified", SELF_SOURCE, reference, identification)
    repo.add_reference(reference, event.id)
    key = (identification.get("person") or {}).get("nhs_number") or reference
    uow.publish(topics.INBOUND, key, event)
    return reference


# -- the question pages' draft ----------------------------------------------------------------

DRAFT_MINUTES = 60
"""A draft lives this long after its last answer: long enough to find a letter with the NHS
number on it, short enough that answers do not linger on a shared computer."""


async def draft_answers(
    uow: RegistryUnitOfWork, draft_id: str | None, now: datetime
) -> dict[str, Any]:
    """The answers so far (empty for a new or expired draft)."""
    if not draft_id:
        return {}
    uow.carers.lock_rows = False
    return await repository(uow).draft(draft_id, now) or {}


async def save_answers(
    uow: RegistryUnitOfWork, draft_id: str, answers: dict[str, Any], now: datetime
) -> None:
    repo = repository(uow)
    await repo.save_draft(draft_id, answers, now + timedelta(minutes=DRAFT_MINUTES))
    await repo.expire_drafts(now)  # housekeeping: drafts nobody came back to go
    await uow.commit()


async def send_answers(
    uow: RegistryUnitOfWork,
    draft_id: str,
    identification: dict[str, Any],
    confirmation: dict[str, Any],
    now: datetime,
) -> str:
    """Queue the identification and, in the same transaction, replace the draft's answers
    with what the confirmation page shows (the reference): sent once, nothing kept."""
    reference = await _queue_identification(uow, identification)
    sent = {"sent": {**confirmation, "reference": reference}}
    await repository(uow).save_draft(draft_id, sent, now + timedelta(minutes=DRAFT_MINUTES))
    await uow.commit()
    return reference


# -- signing in -----------------------------------------------------------------------------


def identifier_kind(typed: str) -> tuple[str, str] | None:
    """("nhs", number) or ("reference", reference) for what was typed; None if neither."""
    digits = normalise_nhs_number(typed) if typed else None
    if digits and is_valid_nhs_number(digits):
        return "nhs", digits
    reference = normalise_reference(typed)
    return ("reference", reference) if reference else None


def code_channel(carer: Carer) -> tuple[str, str] | None:
    """Where a code can go: the carer's first preferred channel we can send to, else any."""
    reachable = {"email": carer.email, "sms": carer.mobile}
    preferred = list((carer.preferences or {}).get("contact_channels") or [])
    for channel in [*preferred, "email", "sms"]:
        if reachable.get(channel):
            return channel, str(reachable[channel])
    return None


async def request_code(
    uow: RegistryUnitOfWork, service: SelfService, typed: str, dob: date | None, now: datetime
) -> str:
    """Start a sign-in; the challenge id for the code page.

    The outcome is the same challenge, the same page and the same time spent whoever asks:
    only when the reference (or NHS number) and date of birth name a carer we can reach, and
    the subject is not locked, is a code sent. Nothing says which of these failed.
    """
    repo = repository(uow)
    found = identifier_kind(typed)
    subject = service.subject(f"{found[0]}:{found[1]}" if found else f"other:{typed.strip()}")
    carer = await _carer_for(uow, repo, found)
    lock = await repo.lock(subject)
    reach = code_channel(carer) if carer is not None and carer.date_of_birth == dob else None
    challenge_id = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    send = reach is not None and carer is not None and not lock.is_locked(now)
    hashed = code_hash(service.key, challenge_id, signin_code(service.key, challenge_id))
    challenge = Challenge.new(
        subject,
        carer.carer_id if send and carer else None,
        hashed if send else None,
        now,
        service.rules,
        challenge_id,
    )
    await repo.supersede(subject, now)
    await repo.expire_old(now - timedelta(days=1))  # housekeeping: spent challenges go
    repo.add_challenge(challenge)
    if send and carer is not None and reach is not None:
        channel, recipient = reach
        body = {
            "carer_id": carer.carer_id,
            "challenge_id": challenge_id,
            "channel": channel,
            "recipient": recipient,
            "given_name": carer.given_name,
            "easy_read": bool((carer.preferences or {}).get("easy_read")),
            "language": (carer.preferences or {}).get("language") or "en",
            "expires_at": challenge.expires_at.isoformat(),
        }
        uow.publish(
            topics.SELFSERVICE,
            carer.carer_id,
            CloudEvent.new("selfservice.code_requested", REGISTRY_SOURCE, carer.carer_id, body),
        )
    await uow.commit()
    return challenge_id


async def _carer_for(
    uow: RegistryUnitOfWork, repo: SelfServiceRepository, found: tuple[str, str] | None
) -> Carer | None:
    uow.carers.lock_rows = False
    if found is None:
        return None
    if found[0] == "nhs":
        return await uow.carers.by_nhs_number(found[1])
    carer_id = await repo.carer_for_reference(found[1])
    return await uow.carers.get(carer_id) if carer_id else None


@dataclass(frozen=True)
class SignIn:
    """The verdict on a code, the carer when signed in, and wrong tries left otherwise."""

    verdict: str
    carer_id: str | None = None
    tries_left: int = 0


async def verify_code(
    uow: RegistryUnitOfWork, service: SelfService, challenge_id: str, typed: str, now: datetime
) -> SignIn:
    repo = repository(uow)
    challenge = await repo.challenge(challenge_id)
    if challenge is None:
        return SignIn(Verdict.EXPIRED)
    lock = await repo.lock(challenge.subject)
    cleaned = "".join(ch for ch in typed if ch.isdigit())
    verdict = check_code(
        challenge, code_hash(service.key, challenge_id, cleaned), lock, now, service.rules
    )
    await repo.save_challenge(challenge)
    await repo.save_lock(lock)
    signed_in = verdict == Verdict.SIGNED_IN
    if signed_in and challenge.carer_id:
        audit(uow, challenge.carer_id, "selfservice_sign_in")
    elif verdict == Verdict.LOCKED:
        # The subject is a keyed hash: the log names neither the reference nor the person.
        log.warning("self-service sign-in locked for subject %s", challenge.subject[:12])
    await uow.commit()
    return SignIn(
        verdict, challenge.carer_id if signed_in else None, lock.tries_left(service.rules)
    )


# -- what a signed-in carer sees and changes ------------------------------------------------


def audit(uow: RegistryUnitOfWork, carer_id: str, action: str) -> None:
    """A carer reading their own record is audited like any other read (never the data)."""
    uow.carers.record_access(
        subject="self-service",
        role="carer",
        org="self",
        action=action,
        carer_id=carer_id,
        outcome="allowed",
    )


async def carer_and_referrals(
    uow: RegistryUnitOfWork, carer_id: str, *, audited: str | None = None
) -> tuple[Carer, list[dict[str, Any]]] | None:
    """The signed-in carer's record and referrals; ``audited`` names the read in the log."""
    uow.carers.lock_rows = False
    carer = await uow.carers.get(carer_id)
    if carer is None:
        return None
    referrals = await repository(uow).referrals(carer_id)
    if audited:
        audit(uow, carer_id, audited)
        await uow.commit()
    return carer, referrals


async def claims_waiting(uow: RegistryUnitOfWork, carer_id: str) -> int:
    """How many things said about the carer wait for them to confirm (contract 6.3)."""
    return len(await ClaimRepository(uow.session).pending(carer_id))


def _inbound_key(carer: Carer) -> str:
    # Same partition as the carer's identifications where the NHS number is known.
    return carer.nhs_number or carer.carer_id


async def change_consent(
    uow: RegistryUnitOfWork, carer: Carer, share_with: list[str], contact: bool, now: datetime
) -> None:
    body = {
        "carer_id": carer.carer_id,
        "share_with": share_with,
        "contact": contact,
        "recorded_at": now.isoformat(),
    }
    uow.publish(
        topics.INBOUND,
        _inbound_key(carer),
        CloudEvent.new("consent.updated", SELF_SOURCE, carer.carer_id, body),
    )
    await uow.commit()


async def change_contact(
    uow: RegistryUnitOfWork,
    carer: Carer,
    preferences: dict[str, Any],
    email: str | None,
    mobile: str | None,
) -> None:
    """New contact preferences and details: a ``carer.identified`` from the carer themselves
    (the contract's one event that carries preferences), saying nothing about consent."""
    person: dict[str, Any] = {"email": email, "mobile": mobile}
    if carer.nhs_number:
        person["nhs_number"] = carer.nhs_number
    if carer.match_key is not None:  # full demographics, as matching needs them
        person |= {
            "given_name": carer.given_name,
            "family_name": carer.family_name,
            "date_of_birth": str(carer.date_of_birth),  # a date: ISO 8601
            "postcode": carer.postcode,
        }
    body = {
        "identified_by": {"kind": "self"},
        "person": person,
        "caring_for": carer.caring_for or [{"relationship": "other", "needs": ["other"]}],
        "preferences": preferences,
    }
    uow.publish(
        topics.INBOUND,
        _inbound_key(carer),
        CloudEvent.new("carer.identified", SELF_SOURCE, carer.carer_id, body),
    )
    await uow.commit()


async def request_erasure(uow: RegistryUnitOfWork, carer: Carer) -> None:
    body = {"carer_id": carer.carer_id, "reason": ERASURE_REASON}
    uow.publish(
        topics.INBOUND,
        _inbound_key(carer),
        CloudEvent.new("carer.erasure_requested", SELF_SOURCE, carer.carer_id, body),
    )
    await uow.commit()
