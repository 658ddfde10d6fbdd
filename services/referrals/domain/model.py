"""A referral of a carer to a service, and its lifecycle (contract 4.3 and section 5).

    requested -> accepted -> completed
    requested | accepted -> declined (with a reason) | withdrawn

Pure: methods check the transition, change state and record the event to publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OPEN_STATUSES = ("requested", "accepted")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "accept": ("requested",),
    "decline": ("requested", "accepted"),
    "complete": ("accepted",),
    "withdraw": ("requested", "accepted"),
}


class IllegalTransition(Exception):
    """The referral is not in a state that allows this step (HTTP 409)."""


@dataclass
class Referral:
    referral_id: str
    carer_id: str
    service: str
    status: str
    story: str | None
    identified_by: list[dict[str, Any]]
    category: str | None
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    outcome: dict[str, Any] | None = None
    overdue: bool = False
    pending_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list, repr=False)

    @classmethod
    def request(
        cls,
        referral_id: str,
        carer_id: str,
        service: str,
        *,
        story: str | None,
        identified_by: list[dict[str, Any]],
        category: str | None,
        at: datetime,
    ) -> Referral:
        referral = cls(
            referral_id, carer_id, service, "requested", story, identified_by, category, at, at
        )
        referral._record("referral.created")
        return referral

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def accept(self, at: datetime) -> None:
        self._move("accept", "accepted", at)

    def decline(self, reason: str, at: datetime) -> None:
        self._move("decline", "declined", at, reason=reason)

    def complete(self, outcome: dict[str, Any], at: datetime) -> None:
        self._move("complete", "completed", at, outcome=outcome)

    def withdraw(self, reason: str, at: datetime) -> None:
        self._move("withdraw", "withdrawn", at, reason=reason)

    def _move(self, step: str, to: str, at: datetime, **changes: Any) -> None:
        if self.status not in TRANSITIONS[step]:
            raise IllegalTransition(
                f"cannot {step} a referral that is {self.status}; "
                f"only one that is {' or '.join(TRANSITIONS[step])}"
            )
        self.status = to
        self.updated_at = at
        for name, value in changes.items():
            setattr(self, name, value)
        self._record(f"referral.{to}")

    def _record(self, event_type: str) -> None:
        self.pending_events.append((event_type, self.event_body()))

    def event_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "referral_id": self.referral_id,
            "carer_id": self.carer_id,
            "service": self.service,
            "status": self.status,
        }
        if self.reason:
            body["reason"] = self.reason
        if self.outcome is not None:
            body["outcome"] = self.outcome
        return body
