"""From published events to countable facts: the monitoring read model's projection.

Pure: :class:`Projection` holds the little state the figures need about each carer and each
referral (loaded by the service layer for a batch), and :meth:`Projection.apply` turns one
event into zero or more :class:`Fact` rows. Every fact's time comes from the event (the
envelope's ``time``, a source's ``at`` or a passport's ``issued_on``), never from the clock,
so replaying the topics from offset 0 into an empty read model gives the same facts.

What is kept is what the council counts, not who the carers are: a pseudonymous carer id,
their category, who identified them, the postcode *district* (outward code, such as LE3)
and the dates they became known to a GP and to the council. No name, contact or story.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from shared.calendar import LOCAL, WorkingCalendar, local_date, working_days_between

LOCAL_NOON = time(12)
COUNCIL_SERVICES = frozenset({"carers_assessment", "young_carers", "support_at_home"})
"""Referrals to these teams mean the council knows the carer (VASL is commissioned)."""
REFERRAL_FACTS = {
    "referral.created": "referral_received",
    "referral.accepted": "referral_accepted",
    "referral.declined": "referral_declined",
    "referral.completed": "referral_completed",
    "referral.withdrawn": "referral_withdrawn",
    "referral.overdue": "referral_overdue",
}
MESSAGE_FACTS = {
    "notification.sent": "message_sent",
    "notification.delivered": "message_delivered",
    "notification.failed": "message_failed",
}
HANDLED = frozenset(
    {
        "carer.registered",
        "carer.updated",
        "carer.merged",
        "carer.erased",
        "carer.status",
        *REFERRAL_FACTS,
        *MESSAGE_FACTS,
    }
)


@dataclass(frozen=True)
class Fact:
    """One countable thing that happened, at an instant."""

    fact: str
    at: datetime
    carer_id: str
    event_id: str
    service: str | None = None
    kind: str | None = None
    org_code: str | None = None
    category: str | None = None
    channel: str | None = None
    amount: Decimal | None = None
    joint: bool = False
    days: int | None = None
    referral_id: str | None = None


@dataclass
class CarerRecord:
    """What the figures need about one carer (no personal details)."""

    carer_id: str
    category: str | None = None
    first_kind: str | None = None
    first_at: datetime | None = None
    postcode_district: str | None = None
    gp_known_at: datetime | None = None
    gp_coded_at: datetime | None = None
    council_known_at: datetime | None = None
    merged_into: str | None = None
    sources: set[str] = field(default_factory=set)

    def known_to(self, partner: str, at: datetime | None) -> None:
        """Remember the earliest instant the GP (or the council) knew the carer."""
        name = "gp_known_at" if partner == "gp" else "council_known_at"
        current = getattr(self, name)
        if at is None:
            return
        if current is None or at < current:
            setattr(self, name, at)


@dataclass
class ReferralRecord:
    referral_id: str
    carer_id: str
    service: str
    created_at: datetime | None = None
    accepted_at: datetime | None = None


def source_key(source: Mapping[str, Any]) -> str:
    """One identification: who, and when (the same partner identifying twice counts twice)."""
    return f"{source.get('kind')}|{source.get('org_code') or ''}|{source.get('at')}"


def _instant(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@dataclass
class Projection:
    """The state for one batch of events; :meth:`apply` updates it and returns new facts.

    Each topic's events change only their own state, so the four subscribers (and several
    replicas) never write the same row: the registry's events change ``carers``, the status
    snapshots ``gp_coded`` (carer id -> when first coded), the referrals' events
    ``referrals``. What combines them (known to the council through a referral, to the GP
    through coding) is worked out when the figures are read.
    """

    carers: dict[str, CarerRecord]
    referrals: dict[str, ReferralRecord]
    calendar: WorkingCalendar
    gp_coded: dict[str, datetime] = field(default_factory=dict)

    def carer(self, carer_id: str) -> CarerRecord:
        if carer_id not in self.carers:
            self.carers[carer_id] = CarerRecord(carer_id)
        return self.carers[carer_id]

    def apply(self, event_type: str, event_id: str, at: datetime, data: Any) -> list[Fact]:
        """The facts one event adds (``data`` is its validated body, as a dict)."""
        if event_type in ("carer.registered", "carer.updated"):
            return self._identified(event_type == "carer.registered", event_id, data)
        if event_type == "carer.merged":
            self._merged(data["carer_id"], data["merged_carer_id"])
        elif event_type == "carer.erased":
            # The postcode district is the one fact about where a carer lives: it goes.
            self.carer(data["carer_id"]).postcode_district = None
        elif event_type == "carer.status":
            self._status(data)
        elif event_type in REFERRAL_FACTS:
            return self._referral(event_type, event_id, at, data)
        elif event_type in MESSAGE_FACTS:
            return [
                Fact(
                    MESSAGE_FACTS[event_type],
                    at,
                    data["carer_id"],
                    event_id,
                    channel=data["channel"],
                )
            ]
        return []

    # -- carers ----------------------------------------------------------------------------

    def _identified(self, new: bool, event_id: str, data: Mapping[str, Any]) -> list[Fact]:
        carer = self.carer(data["carer_id"])
        if data.get("category"):
            carer.category = data["category"]
        if data.get("postcode_district"):
            carer.postcode_district = data["postcode_district"]
        facts = []
        for source in data.get("sources") or []:
            key = source_key(source)
            if key in carer.sources:
                continue
            carer.sources.add(key)
            at = _instant(source["at"])
            if carer.first_at is None or at < carer.first_at:
                carer.first_at, carer.first_kind = at, source["kind"]
            if source["kind"] in ("gp", "council"):
                carer.known_to(source["kind"], at)
            fact = "identified_new" if new and len(carer.sources) == 1 else "identified_repeat"
            facts.append(
                Fact(
                    fact,
                    at,
                    carer.carer_id,
                    event_id,
                    kind=source["kind"],
                    org_code=source.get("org_code"),
                    category=data.get("category"),
                )
            )
        return facts

    def _merged(self, survivor_id: str, merged_id: str) -> None:
        """The merged record's identifications are the survivor's now: not new again."""
        merged, survivor = self.carer(merged_id), self.carer(survivor_id)
        merged.merged_into = survivor_id
        survivor.sources |= merged.sources
        for partner, at in (("gp", merged.gp_known_at), ("council", merged.council_known_at)):
            if at is not None:
                survivor.known_to(partner, at)
        if merged.first_at is not None and (
            survivor.first_at is None or merged.first_at < survivor.first_at
        ):
            survivor.first_at, survivor.first_kind = merged.first_at, merged.first_kind

    def _status(self, data: Mapping[str, Any]) -> None:
        coded = data.get("gp_coded")
        if coded:
            at, carer_id = _instant(coded["coded_at"]), data["carer_id"]
            if carer_id not in self.gp_coded or at < self.gp_coded[carer_id]:
                self.gp_coded[carer_id] = at

    # -- referrals -------------------------------------------------------------------------

    def _referral(
        self, event_type: str, event_id: str, at: datetime, data: Mapping[str, Any]
    ) -> list[Fact]:
        referral_id, service, carer_id = data["referral_id"], data["service"], data["carer_id"]
        record = self.referrals.get(referral_id)
        if record is None:
            record = self.referrals[referral_id] = ReferralRecord(referral_id, carer_id, service)
        base = {"service": service, "referral_id": referral_id}
        facts = []
        days = None
        if event_type == "referral.created":
            record.created_at = record.created_at or at
        elif event_type == "referral.accepted":
            record.accepted_at = record.accepted_at or at
            if record.created_at is not None:
                days = working_days_between(
                    local_date(record.created_at), local_date(at), self.calendar
                )
        facts.append(Fact(REFERRAL_FACTS[event_type], at, carer_id, event_id, days=days, **base))
        if event_type == "referral.completed":
            facts.extend(self._outcome(data.get("outcome") or {}, at, carer_id, event_id, base))
        return facts

    @staticmethod
    def _outcome(
        outcome: Mapping[str, Any],
        at: datetime,
        carer_id: str,
        event_id: str,
        base: dict[str, Any],
    ) -> list[Fact]:
        kind = outcome.get("type")
        if kind == "assessment_completed":
            facts = [
                Fact(
                    "assessment_completed",
                    at,
                    carer_id,
                    event_id,
                    joint=bool(outcome.get("joint", False)),
                    **base,
                )
            ]
            payment = outcome.get("direct_payment")
            if isinstance(payment, Mapping) and payment.get("kind") in ("weekly", "one_off"):
                facts.append(
                    Fact(
                        f"direct_payment_{payment['kind']}",
                        at,
                        carer_id,
                        event_id,
                        amount=Decimal(str(payment.get("amount") or "0")),
                        **base,
                    )
                )
            return facts
        if kind == "passport_issued":
            issued = outcome.get("issued_on")
            when = at
            if issued:
                day = date.fromisoformat(str(issued))
                when = datetime.combine(day, LOCAL_NOON, tzinfo=LOCAL)
            return [Fact("passport_issued", when, carer_id, event_id, **base)]
        return []


def as_known(
    carers: Mapping[str, CarerRecord],
    gp_coded: Mapping[str, datetime],
    council_referred: Mapping[str, datetime],
) -> dict[str, CarerRecord]:
    """Carers with what the other topics add: coded by a GP (status snapshots) and referred
    to a council team (referrals), each also making the carer known to that partner."""
    out = {}
    for carer_id, carer in carers.items():
        known = replace(carer, sources=set(carer.sources))
        known.gp_coded_at = gp_coded.get(carer_id)
        known.known_to("gp", known.gp_coded_at)
        known.known_to("council", council_referred.get(carer_id))
        out[carer_id] = known
    return out
