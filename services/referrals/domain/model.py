"""A referral of a carer to a service, and its lifecycle (contract 4.3 and section 5).

    requested -> accepted -> completed (with an outcome)
    requested | accepted -> declined (with a reason) | withdrawn (with a reason)

A referral carries what the carer already told a partner (their story, who identified them,
who they care for, how to reach them) so the team receiving it never asks again.

Pure: methods check the step, change state, note who did it in ``history`` and record the
event to publish in ``pending_events``. The service layer saves and publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.referrals.domain import outcomes, rules
from services.referrals.domain.working_days import is_past

OPEN_STATUSES = ("requested", "accepted")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "accept": ("requested",),
    "decline": ("requested", "accepted"),
    "complete": ("accepted",),
    "withdraw": ("requested", "accepted"),
}
SYSTEM = "urn:carers:referrals"  # who acts when a rule, not a person, moves a referral
# What the team sees where the carer's story and details were (contract 6.4).
DETAILS_REMOVED_FOR_CONSENT = "withdrawn consent: details removed"


class IllegalTransition(Exception):
    """The referral is not in a state that allows this step (HTTP 409)."""


class MissingReason(ValueError):
    """Declining or withdrawing needs a reason the carer and partners can be told (422)."""


@dataclass(frozen=True)
class CarerDetails:
    """What the registry told us about the carer, copied onto their referrals."""

    category: str | None = None
    story: str | None = None
    identified_by: tuple[dict[str, Any], ...] = ()
    caring_for: tuple[dict[str, Any], ...] = ()
    contact: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> CarerDetails:
        """From a ``carer.registered``/``carer.updated`` body (the registry's ``summary()``)."""
        return cls(
            category=data.get("category"),
            story=data.get("story"),
            identified_by=tuple(data.get("identified_by") or ()),
            caring_for=tuple(data.get("caring_for") or ()),
            contact=dict(data.get("contact") or {}),
        )


@dataclass
class Referral:
    referral_id: str
    carer_id: str
    service: str
    status: str
    created_at: datetime
    updated_at: datetime
    due_by: date
    details: CarerDetails = field(default_factory=CarerDetails)
    reason: str | None = None
    outcome: dict[str, Any] | None = None
    overdue: bool = False
    withdrawn_for: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    erased: bool = False
    details_removed: str | None = None
    pending_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list, repr=False)

    @classmethod
    def request(
        cls,
        referral_id: str,
        carer_id: str,
        service: str,
        details: CarerDetails,
        *,
        at: datetime,
        due_by: date,
    ) -> Referral:
        """A new referral waiting for the team to accept it (``referral.created``)."""
        referral = cls(referral_id, carer_id, service, "requested", at, at, due_by, details)
        referral.history.append({"status": "requested", "at": at.isoformat(), "by": SYSTEM})
        referral._record("referral.created")
        return referral

    # -- views -----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Flagged overdue and still waiting to be accepted: what the queue shows."""
        return self.overdue and self.status == "requested"

    def past(self) -> rules.PastReferral:
        return rules.PastReferral(self.status, self.withdrawn_for)

    def allowed_steps(self) -> list[str]:
        return [step for step, sources in TRANSITIONS.items() if self.status in sources]

    # -- staff steps -----------------------------------------------------------------------

    def accept(self, *, at: datetime, by: str) -> None:
        self._move("accept", "accepted", at, by)

    def decline(self, reason: str, *, at: datetime, by: str) -> None:
        self._move("decline", "declined", at, by, reason=_reason(reason))

    def complete(self, outcome: dict[str, Any], *, today: date, at: datetime, by: str) -> None:
        """Close with an outcome, checked against the service (``InvalidOutcome`` if wrong)."""
        self._check("complete")
        checked = outcomes.check_outcome(self.service, outcome, today)
        self._move("complete", "completed", at, by, outcome=checked)

    def withdraw(
        self, reason: str, *, at: datetime, by: str, why: str = rules.WITHDRAWN_BY_STAFF
    ) -> None:
        self._move("withdraw", "withdrawn", at, by, reason=_reason(reason), withdrawn_for=why)

    # -- what the system does --------------------------------------------------------------

    def mark_overdue(self, now: datetime) -> bool:
        """Flag a referral still not accepted after its due date; True the one time it is.

        The flag is stored with the referral, so ``referral.overdue`` is published once
        however often the sweep runs or the service restarts.
        """
        if self.status != "requested" or self.overdue or not is_past(self.due_by, now):
            return False
        self.overdue = True
        self.history.append({"status": "overdue", "at": now.isoformat(), "by": SYSTEM})
        self._record("referral.overdue")
        return True

    def refresh(self, details: CarerDetails) -> bool:
        """An open referral takes the carer's latest story and details; True if they changed."""
        if not self.is_open or details == self.details:
            return False
        self.details = details
        return True

    def remove_details_for_consent(self) -> bool:
        """The carer withdrew consent to share with this referral's partner: the team loses
        their story, contact details, who they care for and who identified them, on an open
        or a closed referral alike (contract 6.4); True the one time it happens.

        What the referral was, how it ended and its category stay: they are the partner's
        own record of its work, and hold nothing the carer told us.
        """
        if self.details_removed is not None:
            return False
        self.details = CarerDetails(category=self.details.category)
        self.details_removed = DETAILS_REMOVED_FOR_CONSENT
        return True

    def move_to(self, carer_id: str) -> None:
        """The registry merged this carer's record into ``carer_id``'s."""
        self.carer_id = carer_id

    def erase(self) -> None:
        """Remove the carer's personal data; keep what the referral was and how it ended."""
        self.details = CarerDetails(category=self.details.category)
        if self.reason and self.withdrawn_for != rules.WITHDRAWN_FOR_ERASURE:
            self.reason = "(removed when the carer's data was erased)"
        self.outcome = outcomes.erased(self.outcome)
        self.history = [{k: v for k, v in h.items() if k != "reason"} for h in self.history]
        self.erased = True

    # -- machinery -------------------------------------------------------------------------

    def _check(self, step: str) -> None:
        if self.status not in TRANSITIONS[step]:
            raise IllegalTransition(
                f"cannot {step} a referral that is {self.status}; "
                f"only one that is {' or '.join(TRANSITIONS[step])}"
            )

    def _move(self, step: str, to: str, at: datetime, by: str, **changes: Any) -> None:
        self._check(step)
        self.status = to
        self.updated_at = at
        for name, value in changes.items():
            setattr(self, name, value)
        entry = {"status": to, "at": at.isoformat(), "by": by}
        if "reason" in changes:
            entry["reason"] = changes["reason"]
        self.history.append(entry)
        self._record(f"referral.{to}")

    def _record(self, event_type: str) -> None:
        body = self.event_body()
        if event_type == "referral.overdue":
            body["overdue"] = True
        self.pending_events.append((event_type, body))

    def event_body(self) -> dict[str, Any]:
        """Contract 4b fields, plus ``due_by``; never the story or contact details, which
        stay here for the team (``GET /referrals/{id}``)."""
        body: dict[str, Any] = {
            "referral_id": self.referral_id,
            "carer_id": self.carer_id,
            "service": self.service,
            "status": self.status,
            "due_by": self.due_by.isoformat(),
        }
        if self.reason:
            body["reason"] = self.reason
        if self.outcome is not None:
            body["outcome"] = self.outcome
        return body


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise MissingReason("reason: give a reason")
    return text[:2000]
