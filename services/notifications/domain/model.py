"""Telling a carer something: whether we may, on which channel, and what a status change means.

Pure decisions (contract 4.4): only a carer who consented to contact is told; the channel is
the first of their ordered ``contact_channels`` that we can use; post and phone become a task
for staff rather than a message. One notification per (event, template, recipient): the
idempotency key below is what makes "never the same message twice" a database constraint.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from typing import Any

DEFAULT_TRIGGERS: dict[str, str] = {
    "referral.created": "referral-created",
    "referral.accepted": "referral-accepted",
}
"""Which event tells the carer what (template id); the council may configure more."""

MESSAGE_CHANNELS = ("email", "sms")
STAFF_CHANNELS = ("post", "phone")
SOURCE = "urn:carers:notifications"


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


@dataclass(frozen=True)
class Contact:
    """What the notifications service keeps about a carer: only what it needs to reach them."""

    carer_id: str
    given_name: str | None
    email: str | None
    mobile: str | None
    channels: tuple[str, ...]
    easy_read: bool
    language: str
    may_contact: bool
    email_opted_out: bool = False

    @classmethod
    def from_registry(cls, data: dict[str, Any]) -> Contact:
        contact = data.get("contact") or {}
        preferences = contact.get("preferences") or {}
        return cls(
            carer_id=data["carer_id"],
            given_name=contact.get("given_name"),
            email=contact.get("email"),
            mobile=contact.get("mobile"),
            channels=tuple(preferences.get("contact_channels") or ()),
            easy_read=bool(preferences.get("easy_read")),
            language=preferences.get("language") or "en",
            may_contact=bool((data.get("consent") or {}).get("contact")),
        )

    def opted_out_of_email(self) -> Contact:
        return replace(self, email_opted_out=True)


@dataclass(frozen=True)
class Decision:
    """``channel`` to send on, or ``staff_task`` for post/phone, or neither with ``reason``."""

    channel: str | None = None
    staff_task: str | None = None
    reason: str | None = None


def choose_channel(contact: Contact) -> Decision:
    """The first of the carer's channels, in their order, that we can actually use."""
    if not contact.may_contact:
        return Decision(reason="the carer has not consented to contact")
    for channel in contact.channels:
        if channel == "email" and contact.email and not contact.email_opted_out:
            return Decision(channel="email")
        if channel == "sms" and contact.mobile:
            return Decision(channel="sms")
        if channel in STAFF_CHANNELS:
            return Decision(staff_task=channel)
    if contact.email_opted_out and "email" in contact.channels:
        return Decision(reason="the carer unsubscribed from email and has no other channel")
    return Decision(reason="no usable contact channel")


def idempotency_key(event_id: str, template_id: str, recipient: str) -> str:
    """One send per (event, template, recipient), stable across restarts and replays."""
    return hashlib.sha256(f"{event_id}|{template_id}|{recipient}".encode()).hexdigest()


# -- delivery receipts -------------------------------------------------------------------------

EVENT_FOR_STATUS = {
    Status.SENT: "notification.sent",
    Status.DELIVERED: "notification.delivered",
    **{failure: "notification.failed" for failure in Status.FAILURES},
}


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


# -- unsubscribing -----------------------------------------------------------------------------


def unsubscribe_token(secret: str, carer_id: str) -> str:
    """A link token naming the carer, signed so nobody can unsubscribe someone else."""
    signature = hmac.new(secret.encode(), f"unsubscribe:{carer_id}".encode(), hashlib.sha256)
    return f"{carer_id}.{signature.hexdigest()[:32]}"


def carer_for_unsubscribe_token(secret: str, token: str) -> str | None:
    """The carer a token was made for, or None when it was not made by us."""
    carer_id, _, _ = token.rpartition(".")
    if not carer_id or not hmac.compare_digest(unsubscribe_token(secret, carer_id), token):
        return None
    return carer_id
