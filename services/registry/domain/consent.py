"""Consent changes are attributed and bounded (contract 6.2, docs/trust.md).

Pure: no I/O. :func:`decide` takes the consent held, the consent proposed and who recorded
it, and says what is applied, what is held as a claim for the carer to confirm, and what the
history records. The rules:

- a ``recorded_at`` in the future is refused (it would pin the record against every later
  change); a consent older than the one held does not replace it;
- narrowing (removing a partner, or contact true -> false) is always applied;
- widening is applied from the carer (self-service: first registration or signed in), from
  a council officer verifying a claim, or from a partner recording the carer's agreement,
  EXCEPT that a partner never widens sharing to itself: that is held for the carer to
  confirm or an officer to verify (a partner could otherwise grant itself access);
- the first consent on a brand-new record is applied as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.registry.domain.provenance import CLOCK_SKEW, SELF_SOURCE

PARTNER_OF_KIND = {"gp": "gp", "council": "council", "vasl": "vasl"}
"""The consent partner each identifier kind is: what a recorder of that kind may not grant
itself. A hospital is not a consent partner, so it can grant none of them to itself."""

ON_BEHALF_OF = "carer"


class ConsentRefused(ValueError):
    """A consent that cannot be applied at all; the message names the field and the rule."""


@dataclass(frozen=True)
class Recorder:
    """Who recorded a consent: an organisation, the carer, or an officer for the carer.

    ``carer`` is True when the carer themselves is proven to be speaking: their first
    registration through self-service, a change made signed in, or an officer verifying
    their claim. ``known`` is False for an organisation that has never identified this
    carer (its kind, and so what is "itself", cannot be told).
    """

    kind: str
    org_code: str | None = None
    org_name: str | None = None
    subject: str | None = None
    carer: bool = False
    known: bool = True

    def public(self) -> dict[str, Any]:
        """``recorded_by`` as history and ``consent.widened`` carry it."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "org_code": self.org_code,
            "org_name": self.org_name,
        }
        if self.subject:
            out["subject"] = self.subject
        return out


@dataclass
class ConsentDecision:
    """What a proposed consent does to the held one."""

    applied: dict[str, Any] | None = None
    """The new consent (share_with, contact, recorded_at), or None when nothing changes."""
    history: dict[str, Any] | None = None
    """The consent_history entry for the change."""
    added_share_with: list[str] = field(default_factory=list)
    contact_added: bool = False
    held_share_with: list[str] = field(default_factory=list)
    """Widening held as a pending consent claim (a partner granting itself)."""
    held_contact: bool = False
    stale: bool = False

    @property
    def widened(self) -> bool:
        return bool(self.added_share_with) or self.contact_added

    @property
    def held(self) -> bool:
        return bool(self.held_share_with) or self.held_contact


@dataclass
class DomainEvent:
    """An event a change to the carer record causes, published by the service layer."""

    type: str
    data: dict[str, Any]


@dataclass
class PendingClaim:
    """Something said about the carer that is held until the carer or an officer confirms it.

    ``kind`` is ``identification`` (a self-identification that matched this record: its
    envelope, to apply later) or ``consent`` (a partner widening sharing to itself:
    ``proposal`` holds ``add_share_with`` and ``add_contact``).
    """

    kind: str
    proposal: dict[str, Any]
    recorded_by: dict[str, Any]
    event_id: str
    source: str


def recorder_of(identification: Any, subject: str | None, carer_id: str | None) -> Recorder:
    """Who recorded an identification's consent: the identifier, or the carer themselves
    when the registry's self-service attested it and named this record (signed in)."""
    by = identification.identified_by
    if by.kind == "self":
        proven = subject is not None and subject == carer_id
        return Recorder("self", carer=proven, known=proven)
    return Recorder(by.kind, by.org_code, by.org_name)


def consent_recorder(
    source: str, subject: str | None, carer_id: str, sources: list[Any]
) -> Recorder:
    """Who recorded a ``consent.updated``: the carer (self-service, signed in: the attested
    subject is their record), or the organisation of an ``ods:`` source, whose kind is the
    kind it identified this carer as. An organisation that never identified the carer, or
    any other source, is not ``known``: every widening it records is held."""
    if source == SELF_SOURCE:
        proven = subject == carer_id
        return Recorder("self", carer=proven, known=proven)
    if source.startswith("ods:") and source[4:]:
        org = source[4:]
        for known in reversed(sources):
            if (known.org_code or "").upper() == org.upper() and known.kind != "self":
                return Recorder(known.kind, known.org_code, known.org_name)
        return Recorder("other", org, known=False)
    return Recorder("other", None, known=False)


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def check_recorded_at(recorded_at: datetime | None, at: datetime) -> None:
    """``ConsentRefused`` when the consent says it was recorded after the event carrying it."""
    if recorded_at is not None and recorded_at > at + CLOCK_SKEW:
        raise ConsentRefused(
            "consent.recorded_at: is in the future (more than "
            f"{int(CLOCK_SKEW.total_seconds() // 60)} minutes after the event's time)"
        )


def decide(
    held: dict[str, Any],
    proposed_share_with: list[str],
    proposed_contact: bool,
    recorded_at: datetime | None,
    recorder: Recorder,
    at: datetime,
    *,
    first: bool = False,
) -> ConsentDecision:
    """What applying the proposed consent does (see the module docstring for the rules)."""
    check_recorded_at(recorded_at, at)
    when = recorded_at or at
    held_when = parse_time(held.get("recorded_at"))
    if not first and held_when is not None and when < held_when:
        return ConsentDecision(stale=True)

    before_share = list(held.get("share_with") or [])
    before_contact = bool(held.get("contact"))
    added = [p for p in proposed_share_with if p not in before_share]
    removed = [p for p in before_share if p not in proposed_share_with]
    contact_added = proposed_contact and not before_contact
    contact_removed = before_contact and not proposed_contact

    held_share: list[str] = []
    held_contact = False
    if not (first or recorder.carer):
        if not recorder.known:
            held_share, held_contact = list(added), contact_added
        else:
            itself = PARTNER_OF_KIND.get(recorder.kind)
            held_share = [p for p in added if p == itself]
    granted = [p for p in added if p not in held_share]
    granted_contact = contact_added and not held_contact
    share_with = [p for p in proposed_share_with if p in before_share or p in granted]
    contact = granted_contact or (before_contact and not contact_removed)

    decision = ConsentDecision(
        added_share_with=[] if first else granted,
        contact_added=False if first else granted_contact,
        held_share_with=held_share,
        held_contact=held_contact,
    )
    if not first and share_with == before_share and contact == before_contact:
        return decision  # nothing applied (perhaps all of it held)
    decision.applied = {
        "share_with": share_with,
        "contact": contact,
        "recorded_at": when.isoformat(),
    }
    decision.history = {
        **decision.applied,
        "recorded_by": recorder.public(),
        "on_behalf_of": ON_BEHALF_OF,
        "changed": {
            "added_share_with": granted,
            "removed_share_with": removed,
            "contact": "added"
            if granted_contact
            else ("removed" if contact_removed else "unchanged"),
            "held_share_with": held_share,
            "held_contact": held_contact,
            "first": first,
        },
        "source": f"{recorder.kind}:{recorder.org_code or ''}",
    }
    return decision


def widened_event(
    carer_id: str, decision: ConsentDecision, recorder: Recorder
) -> dict[str, Any] | None:
    """The ``consent.widened`` body for an applied widening, else None."""
    if decision.applied is None or not decision.widened:
        return None
    return {
        "carer_id": carer_id,
        "added_share_with": list(decision.added_share_with),
        "contact_added": decision.contact_added,
        "share_with": list(decision.applied["share_with"]),
        "contact": decision.applied["contact"],
        "recorded_by": {
            "kind": recorder.kind,
            "org_code": recorder.org_code,
            "org_name": recorder.org_name,
        },
        "on_behalf_of": ON_BEHALF_OF,
        "recorded_at": decision.applied["recorded_at"],
    }


class ConsentKeeping:
    """The carer record's consent, changed only within the rules above (a base of ``Carer``).

    Kept here, beside the rules, so the record module stays about the record.
    """

    carer_id: str
    consent: dict[str, Any]
    consent_history: list[dict[str, Any]]
    pending_claims: list[PendingClaim]
    _after_change: list[DomainEvent]

    def _changed(self, at: datetime, event_type: str) -> None:
        raise NotImplementedError  # the record bumps its version and records its event

    def hold_claim(self, claim: PendingClaim) -> None:
        """Keep a claim for the carer to confirm or an officer to verify; nothing changes."""
        self.pending_claims.append(claim)

    def confirm_consent_claim(
        self, proposal: dict[str, Any], recorder: Recorder, at: datetime, event_id: str
    ) -> None:
        """The carer (signed in) or an officer confirmed a held widening: apply it now."""
        share = list(self.consent.get("share_with") or [])
        share += [p for p in proposal.get("add_share_with") or [] if p not in share]
        contact = bool(self.consent.get("contact")) or bool(proposal.get("add_contact"))
        self.apply_consent(share, contact, None, recorder, at, event_id)
        self._changed(at, "carer.updated")

    def apply_consent(
        self,
        share_with: list[str],
        contact: bool,
        recorded_at: datetime | None,
        recorder: Recorder,
        at: datetime,
        event_id: str,
        *,
        first: bool = False,
    ) -> ConsentDecision:
        """Apply what the consent rules allow; hold a partner's self-grant as a claim.

        Raises ``ConsentRefused`` (a ``ValueError``) for a ``recorded_at`` in the future.
        An applied widening is announced (``consent.widened``) after the record's own event.
        """
        decision = decide(self.consent, share_with, contact, recorded_at, recorder, at, first=first)
        if decision.applied is not None and decision.history is not None:
            self.consent = decision.applied
            self.consent_history.append(decision.history)
        widened = widened_event(self.carer_id, decision, recorder)
        if widened is not None:
            self._after_change.append(DomainEvent("consent.widened", widened))
        if decision.held:
            self.hold_claim(
                PendingClaim(
                    "consent",
                    {
                        "add_share_with": decision.held_share_with,
                        "add_contact": decision.held_contact,
                        "recorded_at": (recorded_at or at).isoformat(),
                    },
                    recorder.public(),
                    event_id,
                    f"{recorder.kind}:{recorder.org_code or ''}",
                )
            )
        return decision
