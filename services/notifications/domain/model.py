"""Telling a carer something: whether we may, on which channel, and how to stop email.

Pure decisions (contract 4.4): only a carer who consented to contact is told; the channel is
the first of their ordered ``contact_channels`` that we can use; post and phone become a task
for staff rather than a message. What then happens to a message (its statuses, receipts, the
never-twice key) is the send record's, in ``send_record.py``.
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

STAFF_CHANNELS = ("post", "phone")
SOURCE = "urn:carers:notifications"


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
