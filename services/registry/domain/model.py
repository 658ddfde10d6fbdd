"""The carer record: one per person, however many partners report them (contract 4.1-4.2).

Pure: no I/O. Methods decide, change the record, bump ``version`` and record the events the
change causes in ``pending_events``; the service layer saves the record and publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from services.registry.domain.consent import (
    ConsentDecision,
    ConsentKeeping,
    DomainEvent,
    PendingClaim,
    Recorder,
    recorder_of,
)
from shared.events.category import carer_category
from shared.events.validators import normalise_name_for_matching


@lru_cache(maxsize=16_384)
def match_key(given_name: str, family_name: str, date_of_birth: date, postcode: str) -> str:
    """Demographics normalised as contract 4.1 says: case, surrounding and inner spaces,
    and postcode spacing ignored; accents and apostrophes kept (they are part of a name).

    Pure, and asked for several times per identification (locking, loading, matching,
    saving), so recent answers are remembered.
    """
    return "|".join(
        (
            normalise_name_for_matching(given_name),
            normalise_name_for_matching(family_name),
            date_of_birth.isoformat(),
            postcode.replace(" ", "").upper(),
        )
    )


def full_match_key(
    given_name: str | None,
    family_name: str | None,
    date_of_birth: date | None,
    postcode: str | None,
) -> str | None:
    """The :func:`match_key` when all four demographics are known, else ``None`` (contract 4.1
    matches on full demographics only); for an incoming person and a stored carer alike."""
    if given_name and family_name and date_of_birth and postcode:
        return match_key(given_name, family_name, date_of_birth, postcode)
    return None


@dataclass
class Source:
    """A partner that identified the carer, and when."""

    kind: str
    org_code: str | None
    org_name: str | None
    at: str
    event_id: str

    def public(self) -> dict[str, Any]:
        return {"kind": self.kind, "org_code": self.org_code, "at": self.at}


@dataclass
class Carer(ConsentKeeping):
    """A person known to be a carer, with every source, consent and status."""

    carer_id: str
    nhs_number: str | None
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    postcode: str | None
    email: str | None = None
    mobile: str | None = None
    caring_for: list[dict[str, Any]] = field(default_factory=list)
    preferences: dict[str, Any] = field(default_factory=dict)
    consent: dict[str, Any] = field(default_factory=lambda: {"share_with": [], "contact": False})
    consent_history: list[dict[str, Any]] = field(default_factory=list)
    support_requested: list[str] = field(default_factory=list)
    stories: list[dict[str, Any]] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    gp_coded: dict[str, Any] | None = None
    gp_practice_ods: str | None = None  # the practice they are registered with, latest known
    open_referrals: list[dict[str, Any]] = field(default_factory=list)
    assessment: dict[str, Any] | None = None
    young_carer_passport: dict[str, Any] | None = None
    version: int = 0
    updated_at: str | None = None
    published_category: str | None = None
    pending_events: list[DomainEvent] = field(default_factory=list, repr=False)
    pending_claims: list[PendingClaim] = field(default_factory=list, repr=False)
    _after_change: list[DomainEvent] = field(default_factory=list, repr=False)

    # -- decisions -------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        carer_id: str,
        identification: Any,
        event_id: str,
        at: datetime,
        recorder: Recorder | None = None,
    ) -> Carer:
        """A person nobody had identified before: a new record, ``carer.registered``.

        The first consent on a brand-new record is applied as given (contract 6.2).
        """
        person = identification.person
        carer = cls(
            carer_id=carer_id,
            nhs_number=person.nhs_number,
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
            postcode=person.postcode,
        )
        recorder = recorder or recorder_of(identification, None, None)
        carer._absorb(identification, event_id, at, recorder, first=True)
        carer._changed(at, "carer.registered")
        return carer

    @classmethod
    def from_gp_coding(cls, carer_id: str, coding: Any, event_id: str, at: datetime) -> Carer:
        """A GP coded a patient nobody had identified yet: a record known by NHS number."""
        carer = cls(carer_id, coding.nhs_number, None, None, None, None)
        carer.gp_coded = {
            "practice_ods_code": coding.practice_ods_code,
            "coded_at": coding.coded_at.isoformat(),
        }
        carer.sources.append(Source("gp", coding.practice_ods_code, None, at.isoformat(), event_id))
        carer._changed(at, "carer.registered")
        return carer

    def record_identification(
        self,
        identification: Any,
        event_id: str,
        at: datetime,
        recorder: Recorder | None = None,
    ) -> None:
        """Another report of the same person: merge what is new, ``carer.updated``.

        Never called for a self-identification that is not proven to be the carer: that is
        held as a claim (``hold_claim``) and changes nothing here.
        """
        person = identification.person
        if self.nhs_number is None and person.nhs_number is not None:
            self.nhs_number = person.nhs_number  # contract 4.1: the record gains the number
        for name in ("given_name", "family_name", "date_of_birth", "postcode"):
            if getattr(self, name) is None and getattr(person, name) is not None:
                setattr(self, name, getattr(person, name))
        recorder = recorder or recorder_of(identification, None, self.carer_id)
        self._absorb(identification, event_id, at, recorder)
        self._changed(at, "carer.updated")

    def _absorb(
        self,
        identification: Any,
        event_id: str,
        at: datetime,
        recorder: Recorder,
        *,
        first: bool = False,
    ) -> None:
        person = identification.person
        self.email = person.email or self.email
        self.mobile = person.mobile or self.mobile
        self.gp_practice_ods = getattr(person, "gp_practice_ods", None) or self.gp_practice_ods
        by = identification.identified_by
        self.sources.append(Source(by.kind, by.org_code, by.org_name, at.isoformat(), event_id))
        for cared in identification.caring_for:
            entry = cared.model_dump(mode="json")
            if entry not in self.caring_for:
                self.caring_for.append(entry)
        given = identification.model_fields_set
        if "preferences" in given or not self.preferences:
            self.preferences = identification.preferences.model_dump(mode="json")
        # A report that says nothing about consent leaves the carer's consent as it was; the
        # rules for what a consent may change are in domain.consent.
        if "consent" in given or first:
            consent = identification.consent
            self.apply_consent(
                list(consent.share_with),
                consent.contact,
                consent.recorded_at,
                recorder,
                at,
                event_id,
                first=first,
            )
        for request in identification.support_requested:
            if request not in self.support_requested:
                self.support_requested.append(request)
        if identification.story and all(s["text"] != identification.story for s in self.stories):
            self.stories.append(
                {"text": identification.story, "kind": by.kind, "at": at.isoformat()}
            )

    def record_gp_coding(
        self, practice_ods_code: str, coded_at: datetime, event_id: str, at: datetime
    ) -> None:
        """A GP practice coded the person as a carer on its clinical system."""
        self.gp_coded = {"practice_ods_code": practice_ods_code, "coded_at": coded_at.isoformat()}
        if not any(s.kind == "gp" and s.org_code == practice_ods_code for s in self.sources):
            self.sources.append(Source("gp", practice_ods_code, None, at.isoformat(), event_id))
        self._changed(at, "carer.updated")

    def update_consent(
        self,
        share_with: list[str],
        contact: bool,
        recorder: Recorder,
        at: datetime,
        event_id: str,
        recorded_at: datetime | None = None,
    ) -> ConsentDecision:
        """``consent.updated`` replaces consent (contract 3), within the rules of 6.2."""
        decision = self.apply_consent(share_with, contact, recorded_at, recorder, at, event_id)
        self._changed(at, "carer.updated")
        return decision

    def absorb_record(self, other: Carer, at: datetime) -> None:
        """After a person's review: ``other`` was the same person and is folded into this."""
        if other.nhs_number and self.nhs_number and other.nhs_number != self.nhs_number:
            raise ValueError("records with different NHS numbers are never merged")
        self.nhs_number = self.nhs_number or other.nhs_number
        for name in ("given_name", "family_name", "date_of_birth", "postcode", "email", "mobile"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(other, name))
        self.sources = sorted([*self.sources, *other.sources], key=lambda s: s.at)
        for entry in other.caring_for:
            if entry not in self.caring_for:
                self.caring_for.append(entry)
        for request in other.support_requested:
            if request not in self.support_requested:
                self.support_requested.append(request)
        self.stories.extend(s for s in other.stories if s not in self.stories)
        self.consent_history = sorted(
            [*self.consent_history, *other.consent_history],
            key=lambda c: c.get("recorded_at") or "",
        )
        if (other.consent.get("recorded_at") or "") > (self.consent.get("recorded_at") or ""):
            self.consent = dict(other.consent)
        self.gp_coded = self.gp_coded or other.gp_coded
        self.gp_practice_ods = self.gp_practice_ods or other.gp_practice_ods
        self.pending_events.append(
            DomainEvent(
                "carer.merged", {"carer_id": self.carer_id, "merged_carer_id": other.carer_id}
            )
        )
        self._changed(at, "carer.updated")

    def apply_referral(self, event_type: str, referral: dict[str, Any], at: datetime) -> None:
        """Keep the status snapshot's open referrals, assessment and passport current."""
        referral_id = referral["referral_id"]
        self.open_referrals = [r for r in self.open_referrals if r["referral_id"] != referral_id]
        status = referral.get("status")
        if status in ("requested", "accepted"):
            self.open_referrals.append(
                {"referral_id": referral_id, "service": referral["service"], "status": status}
            )
        outcome = referral.get("outcome") or {}
        if event_type == "referral.completed" and outcome.get("type") == "assessment_completed":
            self.assessment = {
                **outcome,
                "referral_id": referral_id,
                "completed_at": at.isoformat(),
            }
        if event_type == "referral.completed" and outcome.get("type") == "passport_issued":
            self.young_carer_passport = {
                "number": outcome.get("number"),
                "issued_on": outcome.get("issued_on"),
            }
        self.version += 1
        self.updated_at = at.isoformat()

    def recategorise(self, at: datetime) -> bool:
        """Re-derive the category as time passes (a young carer turns 18); True if it moved."""
        if self.category(at) == self.published_category:
            return False
        self._changed(at, "carer.updated")
        return True

    def _changed(self, at: datetime, event_type: str) -> None:
        self.version += 1
        self.updated_at = at.isoformat()
        self.published_category = self.category(at)
        self.pending_events.append(DomainEvent(event_type, self.summary(at)))
        self.pending_events.extend(self._after_change)
        self._after_change.clear()

    # -- views -----------------------------------------------------------------------------

    def category(self, at: date | datetime) -> str | None:
        return carer_category(self.date_of_birth, at) if self.date_of_birth else None

    def summary(self, at: datetime) -> dict[str, Any]:
        """The body of ``carer.registered``/``carer.updated`` (contract 4b, extended).

        Downstream services need consent, needs and the carer's story to refer without
        asking again, and contact details to tell the carer; all of it is erased on request.
        """
        return {
            "carer_id": self.carer_id,
            "category": self.category(at),
            "sources": [s.public() for s in self.sources],
            "consent": {k: self.consent.get(k) for k in ("share_with", "contact")},
            "support_requested": list(self.support_requested),
            "caring_for": list(self.caring_for),
            "story": "\n\n".join(s["text"] for s in self.stories) or None,
            "identified_by": [
                {"kind": s.kind, "org_code": s.org_code, "org_name": s.org_name}
                for s in self.sources
            ],
            "contact": {
                "given_name": self.given_name,
                "family_name": self.family_name,
                "email": self.email,
                "mobile": self.mobile,
                "preferences": dict(self.preferences),
            },
            # The outward code only ("LE3"): the council's figures by district need no more.
            "postcode_district": self.postcode.split(" ")[0] if self.postcode else None,
            "version": self.version,
        }

    def status(self, at: datetime) -> dict[str, Any]:
        """The snapshot on the compacted status topic (contract 4.2)."""
        return {
            "carer_id": self.carer_id,
            "category": self.category(at),
            "identified_by": [s.public() for s in self.sources],
            "gp_coded": self.gp_coded,
            "consent": {k: self.consent.get(k) for k in ("share_with", "contact")},
            "open_referrals": list(self.open_referrals),
            "assessment": self.assessment,
            "young_carer_passport": self.young_carer_passport,
            "version": self.version,
            "updated_at": self.updated_at,
        }

    # -- persistence helpers (plain data, still no I/O) ------------------------------------

    def to_document(self) -> dict[str, Any]:
        """Plain JSON-ready data (written out by hand: ``asdict`` was a hot spot at volume)."""
        return {
            "carer_id": self.carer_id,
            "nhs_number": self.nhs_number,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "postcode": self.postcode,
            "email": self.email,
            "mobile": self.mobile,
            "caring_for": self.caring_for,
            "preferences": self.preferences,
            "consent": self.consent,
            "consent_history": self.consent_history,
            "support_requested": self.support_requested,
            "stories": self.stories,
            "sources": [
                {
                    "kind": s.kind,
                    "org_code": s.org_code,
                    "org_name": s.org_name,
                    "at": s.at,
                    "event_id": s.event_id,
                }
                for s in self.sources
            ],
            "gp_coded": self.gp_coded,
            "gp_practice_ods": self.gp_practice_ods,
            "open_referrals": self.open_referrals,
            "assessment": self.assessment,
            "young_carer_passport": self.young_carer_passport,
            "version": self.version,
            "updated_at": self.updated_at,
            "published_category": self.published_category,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Carer:
        values = dict(document)
        values["sources"] = [Source(**s) for s in values.get("sources", [])]
        dob = values.get("date_of_birth")
        values["date_of_birth"] = date.fromisoformat(dob) if dob else None
        return cls(**values)

    @property
    def match_key(self) -> str | None:
        return full_match_key(self.given_name, self.family_name, self.date_of_birth, self.postcode)
