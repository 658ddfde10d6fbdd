"""Claims held about a carer: listed for council staff, confirmed by the carer or verified
by a council officer, or rejected (contract 6.2-6.3, docs/trust.md).

A claim is applied in the request's own transaction, as a review's resolution is: the carer
record changes, its events and status go to the outbox, and the claim is marked applied,
together or not at all. Every list and decision is audited.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.registry.adapters.claims import ClaimRepository
from services.registry.adapters.orm import ClaimRow
from services.registry.domain.consent import ConsentRefused, Recorder
from services.registry.domain.model import Carer
from services.registry.service_layer.matching import identity_keys
from services.registry.service_layer.publishing import publish_changes
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.events import parse_inbound


class ClaimNotFound(Exception):
    """No such claim (for this carer): HTTP 404."""


class ClaimConflict(Exception):
    """The claim was already decided, or can no longer apply: HTTP 409."""


_IDENTIFICATION_FIELDS = (
    ("person", ("email", "mobile")),
    ("consent", None),
    ("preferences", None),
    ("caring_for", None),
    ("support_requested", None),
    ("story", None),
)


def claim_changes(row: ClaimRow) -> list[str]:
    """What applying the claim would change, as field names (never their values)."""
    proposal = json.loads(row.proposal)
    if row.kind == "consent":
        added = [f"consent.share_with+{p}" for p in proposal.get("add_share_with") or []]
        return added + (["consent.contact"] if proposal.get("add_contact") else [])
    data = (proposal.get("envelope") or {}).get("data") or {}
    changes = []
    for name, inner in _IDENTIFICATION_FIELDS:
        value = data.get(name)
        if inner is None and value:
            changes.append(name)
        elif isinstance(value, dict):
            changes += [f"{name}.{f}" for f in inner or () if value.get(f)]
    return changes


def claim_summary(row: ClaimRow) -> dict[str, Any]:
    """A claim as council staff see it: who said what kind of thing, not the values."""
    return {
        "claim_id": row.claim_id,
        "carer_id": row.carer_id,
        "kind": row.kind,
        "status": row.status,
        "source": row.source,
        "recorded_by": json.loads(row.recorded_by),
        "changes": claim_changes(row),
        "created_at": row.created_at.isoformat(),
    }


def claim_details(row: ClaimRow) -> dict[str, Any]:
    """A claim as the carer sees it on their own page: what it would change, with values."""
    proposal = json.loads(row.proposal)
    if row.kind == "consent":
        return {
            "kind": "consent",
            "add_share_with": list(proposal.get("add_share_with") or []),
            "add_contact": bool(proposal.get("add_contact")),
            "recorded_by": json.loads(row.recorded_by),
        }
    data = (proposal.get("envelope") or {}).get("data") or {}
    person = data.get("person") or {}
    return {
        "kind": "identification",
        "email": person.get("email"),
        "mobile": person.get("mobile"),
        "consent": data.get("consent"),
        "recorded_by": json.loads(row.recorded_by),
    }


def audit(
    uow: RegistryUnitOfWork, who: dict[str, str], action: str, carer_id: str, outcome: str
) -> None:
    uow.carers.record_access(
        subject=who["subject"],
        role=who["role"],
        org=who["org"],
        action=action,
        carer_id=carer_id,
        outcome=outcome,
    )


async def pending_claims(
    uow: RegistryUnitOfWork, who: dict[str, str], carer_id: str | None = None
) -> list[ClaimRow]:
    """Pending claims (one carer's, or all), each listing audited against its carer."""
    rows = await ClaimRepository(uow.session).pending(carer_id)
    for carer in dict.fromkeys(r.carer_id for r in rows):
        audit(uow, who, "list_claims", carer, "allowed")
    await uow.commit()
    return rows


async def _pending(uow: RegistryUnitOfWork, claim_id: str, carer_id: str | None) -> ClaimRow:
    row = await ClaimRepository(uow.session).get(claim_id)
    if row is None or (carer_id is not None and row.carer_id != carer_id):
        raise ClaimNotFound(claim_id)
    if row.status != "pending":
        raise ClaimConflict(f"claim {claim_id} is already {row.status}")
    return row


async def apply_claim(
    uow: RegistryUnitOfWork,
    claim_id: str,
    recorder: Recorder,
    who: dict[str, str],
    at: datetime,
    *,
    carer_id: str | None = None,
) -> Carer:
    """Apply a pending claim as if the carer said it, attributed to ``recorder`` (the carer
    signed in, or the verifying officer). ``carer_id`` limits it to that carer's claims."""
    row = await _pending(uow, claim_id, carer_id)
    proposal = json.loads(row.proposal)
    if row.kind == "identification":
        envelope, identification = parse_inbound(json.dumps(proposal["envelope"]))
        await uow.carers.lock(identity_keys(identification.person))  # type: ignore[attr-defined]
    carer = await uow.carers.get(row.carer_id)
    if carer is None:
        raise ClaimConflict(f"claim {claim_id}: the carer's record no longer exists")
    try:
        if row.kind == "identification":
            carer.record_identification(identification, envelope.id, at, recorder)
        else:
            carer.confirm_consent_claim(proposal, recorder, at, row.event_id)
    except ConsentRefused as refused:
        raise ClaimConflict(str(refused)) from None
    uow.carers.changed(carer)
    publish_changes(carer, uow, at)
    ClaimRepository(uow.session).decide(row, "applied", recorder.public(), at)
    audit(uow, who, "apply_claim", carer.carer_id, "allowed")
    await uow.commit()
    return carer


async def reject_claim(
    uow: RegistryUnitOfWork,
    claim_id: str,
    by: dict[str, Any],
    who: dict[str, str],
    at: datetime,
    *,
    carer_id: str | None = None,
) -> ClaimRow:
    """The carer says "this was not me", or the officer could not verify it."""
    row = await _pending(uow, claim_id, carer_id)
    ClaimRepository(uow.session).decide(row, "rejected", by, at)
    audit(uow, who, "reject_claim", row.carer_id, "allowed")
    await uow.commit()
    return row
