"""Telling a carer something: which channel, which template, and whether we may at all.

Pure decisions (contract 4.4): only a carer who consented to contact is told; the channel is
the first of their ordered ``contact_channels`` that we can use; post and phone become a task
for staff rather than a message. One notification per (event, template, recipient): the
idempotency key below is what makes "never the same message twice" a database constraint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

TEMPLATE_FOR_EVENT: dict[str, str] = {
    "referral.created": "referral-created",
    "referral.accepted": "referral-accepted",
}
MESSAGE_CHANNELS = ("email", "sms")
STAFF_CHANNELS = ("post", "phone")


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


@dataclass(frozen=True)
class Decision:
    """``channel`` to send on, or ``staff_task`` for post/phone, or neither with ``reason``."""

    channel: str | None = None
    staff_task: str | None = None
    reason: str | None = None


def choose_channel(contact: Contact) -> Decision:
    if not contact.may_contact:
        return Decision(reason="the carer has not consented to contact")
    for channel in contact.channels:
        if channel == "email" and contact.email:
            return Decision(channel="email")
        if channel == "sms" and contact.mobile:
            return Decision(channel="sms")
        if channel in STAFF_CHANNELS:
            return Decision(staff_task=channel)
    return Decision(reason="no usable contact channel")


def idempotency_key(event_id: str, template_id: str, recipient: str) -> str:
    """One send per (event, template, recipient), stable across restarts and replays."""
    return hashlib.sha256(f"{event_id}|{template_id}|{recipient}".encode()).hexdigest()
