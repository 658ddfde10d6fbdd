"""The send record: one message we owe a carer, and every move it may make (pure, no I/O).

Why an aggregate of its own: a message's status used to be set by hand in five places (the
handlers, the dispatcher, receipts, unsubscribe, erasure), and nothing refused an impossible
move such as a receipt reviving a cancelled message or a retry of one already delivered.
Every change now goes through a method here, which refuses a move its state does not allow
(:class:`ImpossibleMove`) and names the events the move owes partners, in order.

The lifecycle (statuses are the stored strings staff and partners already see)::

    awaiting-contact --plan--> pending | staff-task | not-sent
    pending   --claim-->   claimed --record_sent--> sent
    sent      --receive--> sending | delivered | *-failure (a receipt)
    claimed   --retry-->   pending (attempts kept, not before the backoff: "retried")
    claimed   --fail-->    permanent-failure | technical-failure
    claimed   --release--> pending, uncertain (a restart: look the message up before resending)
    awaiting-contact | pending --cancel--> cancelled

"Planned" is ``pending`` (or a plan that ends at once: ``staff-task``, ``not-sent``);
"failed" is one of the three ``*-failure`` statuses. A receipt may overtake the dispatcher
(the provider called back before we recorded ``sent``): then it records the send as well.

The dispatcher's hot path claims and records a whole batch in one statement each
(``adapters/repository.py``); those statements make exactly the ``claim`` and
``record_sent`` moves below, set-at-a-time, and the fake unit of work in the tests makes
them through these methods.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.notifications.domain.planning import Plan


class Status:
    """Where a notification is. Strings, because they are stored and shown to staff as is."""

    AWAITING_CONTACT = "awaiting-contact"  # decided to tell; contact details not here yet
    NOT_SENT = "not-sent"  # no consent, or no channel we can use: the reason says which
    STAFF_TASK = "staff-task"  # post or phone: a person sends it
    PENDING = "pending"  # ready; not before ``not_before`` (quiet hours, backoff)
    CLAIMED = "claimed"  # the dispatcher took it: the provider may have it (look up first)
    SENT = "sent"  # the provider accepted it
    SENDING = "sending"  # the provider says it is on its way (delivery receipt)
    DELIVERED = "delivered"
    PERMANENT_FAILURE = "permanent-failure"
    TEMPORARY_FAILURE = "temporary-failure"
    TECHNICAL_FAILURE = "technical-failure"
    CANCELLED = "cancelled"  # consent withdrawn, unsubscribed or erased before it went

    FAILURES = frozenset({PERMANENT_FAILURE, TEMPORARY_FAILURE, TECHNICAL_FAILURE})
    RECEIPTS = frozenset({SENDING, DELIVERED} | FAILURES)
    FINAL = frozenset({DELIVERED, NOT_SENT, STAFF_TASK, CANCELLED} | FAILURES)
    UNSENT = frozenset({AWAITING_CONTACT, PENDING})  # may still be cancelled


EVENT_FOR_STATUS = {
    Status.SENT: "notification.sent",
    Status.DELIVERED: "notification.delivered",
    **{failure: "notification.failed" for failure in Status.FAILURES},
}
WAITING_REASON = "waiting for the carer's contact details"


class ImpossibleMove(ValueError):
    """A send record was asked to make a move its status does not allow."""


def idempotency_key(event_id: str, template_id: str, recipient: str) -> str:
    """One send per (event, template, recipient), stable across restarts and replays."""
    return hashlib.sha256(f"{event_id}|{template_id}|{recipient}".encode()).hexdigest()


@dataclass(frozen=True)
class Transition:
    """The status to record and the events to publish, in order; ``status`` None: no change."""

    status: str | None
    events: tuple[str, ...] = ()


def receipt_transition(current: str, reported: str) -> Transition:
    """What a provider's receipt (``sending``, ``delivered``, ``*-failure``) does to a record.

    A receipt can overtake the dispatcher: the provider accepted, called back, and only then
    did we record ``sent`` (or we crashed in between). Then the receipt records the send too,
    publishing ``notification.sent`` before the outcome, so partners see them in order and the
    dispatcher, finding the record no longer ``claimed``, publishes nothing more. A repeated or
    stale receipt changes nothing: an outcome is never overwritten.
    """
    if reported not in Status.RECEIPTS:
        raise ValueError(f"status: {reported!r} is not a delivery status")
    if current in Status.FINAL or current == reported:
        return Transition(None)
    if current in (Status.CLAIMED, Status.PENDING):
        events: tuple[str, ...] = ("notification.sent",)
        if reported in EVENT_FOR_STATUS:
            events += (EVENT_FOR_STATUS[reported],)
        return Transition(reported, events)
    if current in (Status.SENT, Status.SENDING):
        event = EVENT_FOR_STATUS.get(reported)
        return Transition(reported, (event,) if event else ())
    return Transition(None)


@dataclass(eq=False)
class SendRecord:
    """One message owed to one carer for one event and template. Its attributes are the
    stored columns, by the same names (the repository relies on that)."""

    notification_id: str
    idempotency_key: str
    carer_id: str
    event_id: str
    event_type: str
    template_id: str
    referral_id: str | None = None
    context: str = "{}"
    template_version: int = 0
    variant: str | None = None
    language: str | None = None
    channel: str = "none"
    status: str = Status.AWAITING_CONTACT
    reason: str | None = WAITING_REASON
    recipient: str | None = None
    subject: str | None = None
    body: str | None = None
    not_before: datetime | None = None
    attempts: int = 0
    uncertain: bool = False
    provider: str | None = None
    provider_reference: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sent_at: datetime | None = None
    completed_at: datetime | None = None
    events: list[str] = field(default_factory=list, repr=False, compare=False)
    """Events this record owes partners since it was loaded, in order (not stored)."""

    # -- planning ------------------------------------------------------------------------------

    def plan(self, plan: Plan, now: datetime) -> None:
        """Apply the decision made once the carer's details are known: a message ready to
        go (``pending``), a task for staff, or ``not-sent`` with the reason."""
        self._require({Status.AWAITING_CONTACT}, "plan")
        self.status, self.channel = plan.status, plan.channel
        self.reason, self.recipient, self.not_before = plan.reason, plan.recipient, plan.not_before
        if plan.composed is not None:
            template = plan.composed.template
            self.template_version, self.variant = template.version, template.variant
            self.language = template.language
            self.subject, self.body = plan.composed.subject, plan.composed.body
        self.updated_at = now

    @property
    def ready(self) -> bool:
        """Waiting for the dispatcher (a commit that makes one ready wakes it)."""
        return self.status == Status.PENDING

    # -- the dispatcher ------------------------------------------------------------------------

    def claim(self, provider: str, now: datetime) -> None:
        """The dispatcher takes it: from here the provider may have it."""
        self._require({Status.PENDING}, "claim")
        self.status, self.provider, self.updated_at = Status.CLAIMED, provider, now
        self.attempts += 1

    def record_sent(self, provider_reference: str | None, now: datetime) -> None:
        """The provider accepted it: ``notification.sent``."""
        self._require({Status.CLAIMED}, "record as sent")
        self.status, self.provider_reference = Status.SENT, provider_reference
        self.uncertain, self.reason, self.sent_at, self.updated_at = False, None, now, now
        self.events.append("notification.sent")

    def retry(self, when: datetime, reason: str, *, uncertain: bool, now: datetime) -> None:
        """A failure that may pass: back to ``pending``, not before ``when``. ``uncertain``:
        the provider may have it after all, so it is looked up before any resend."""
        self._require({Status.CLAIMED}, "retry")
        self.status, self.not_before, self.uncertain = Status.PENDING, when, uncertain
        self.reason, self.updated_at = reason, now

    def fail(self, outcome: str, reason: str, now: datetime) -> None:
        """The provider refused it for good, or we gave up: ``notification.failed``."""
        if outcome not in Status.FAILURES:
            raise ValueError(f"outcome: {outcome!r} is not a failure status")
        self._require({Status.CLAIMED}, "fail")
        self.status, self.reason = outcome, reason
        self.completed_at = self.updated_at = now
        self.events.append("notification.failed")

    def release(self, now: datetime) -> None:
        """After a restart: a claimed record may or may not be at the provider."""
        self._require({Status.CLAIMED}, "release")
        self.status, self.uncertain, self.updated_at = Status.PENDING, True, now

    # -- what comes back -----------------------------------------------------------------------

    def receive(self, reported: str, provider_id: str | None, now: datetime) -> bool:
        """A provider's delivery receipt; False when it changes nothing (repeated or stale).

        If it overtook the dispatcher's record of the send, it records the send too.
        """
        transition = receipt_transition(self.status, reported)
        if transition.status is None:
            return False
        if self.status in (Status.CLAIMED, Status.PENDING):
            self.provider_reference = provider_id or self.provider_reference
            self.sent_at, self.uncertain = now, False
        self.status, self.updated_at = transition.status, now
        if transition.status in Status.FINAL:
            self.completed_at = now
            self.reason = None if transition.status == Status.DELIVERED else f"provider: {reported}"
        self.events.extend(transition.events)
        return True

    def cancel(self, reason: str, now: datetime) -> None:
        """Not to go after all (consent withdrawn, unsubscribed, erased): only while unsent."""
        self._require(Status.UNSENT, "cancel")
        self.status, self.reason, self.updated_at = Status.CANCELLED, reason, now

    def _require(self, allowed: frozenset[str] | set[str], move: str) -> None:
        if self.status not in allowed:
            raise ImpossibleMove(
                f"status: cannot {move} notification {self.notification_id} while {self.status}"
            )

    def columns(self) -> dict[str, Any]:
        """The stored columns (everything but the owed events)."""
        values = dict(vars(self))
        del values["events"]
        return values
