"""Telling a carer that someone recorded their agreement to share more (contract 6.2).

When the registry widens a carer's consent (``consent.widened``), the carer is told on their
own channel, in plain English (or easy read when they asked for it): who they agreed to share
with, who recorded it and when, and where to say it is wrong. Pure: the words and the channel
are decided here; the service layer records the message with the usual never-twice key.

Why the notice goes even when the carer has not agreed to be contacted: consent to contact
is about offers of help. A notice that more organisations can now see their information is
a safeguard the carer is owed whenever we have a way to reach them; without it, anyone able
to record consent "for" a carer could widen it unseen, simply by leaving contact off. An
unsubscribe from email is still honoured (we said we would stop), so the notice then goes by
text if we have a mobile number, and otherwise is recorded as not sent, with the reason, for
staff to see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.notifications.domain.model import STAFF_CHANNELS, Contact, Decision
from services.notifications.domain.planning import STAFF_INSTRUCTIONS, Composed, Plan
from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.send_record import Status
from services.notifications.domain.templates import TemplateSet

TEMPLATE_ID = "consent-widened"
PARTNER_NAMES = {
    "gp": "your doctor",
    "council": "Leicestershire County Council",
    "vasl": "Voluntary Action South Leicestershire (VASL)",
}
EASY_PARTNER_NAMES = {
    "gp": "your doctor",
    "council": "the council",
    "vasl": "Voluntary Action South Leicestershire",
}
RECORDER_KINDS = {
    "gp": "your doctor",
    "hospital": "a hospital",
    "council": "Leicestershire County Council",
    "vasl": "Voluntary Action South Leicestershire (VASL)",
    "school": "a school",
    "other": "an organisation that works with us",
}


def choose_notice_channel(contact: Contact) -> Decision:
    """The carer's own channels in their order, whatever their consent to contact; then any
    email or mobile number we hold. Never an email the carer unsubscribed from."""
    for channel in contact.channels:
        if channel == "email" and contact.email and not contact.email_opted_out:
            return Decision(channel="email")
        if channel == "sms" and contact.mobile:
            return Decision(channel="sms")
        if channel in STAFF_CHANNELS:
            return Decision(staff_task=channel)
    if contact.email and not contact.email_opted_out:
        return Decision(channel="email")
    if contact.mobile:
        return Decision(channel="sms")
    return Decision(reason="no usable contact channel for the consent notice")


def _listed(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def recorded_by(recorder: Mapping[str, Any]) -> str:
    """Who recorded the change, as the carer knows them."""
    if recorder.get("kind") == "self":
        return "you, on our website"
    return str(recorder.get("org_name") or RECORDER_KINDS.get(recorder.get("kind") or "", "us"))


def long_date(moment: datetime, timezone: str = "Europe/London") -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.day} {local:%B %Y}"


def notice_values(widened: Mapping[str, Any], easy_read: bool, timezone: str) -> dict[str, str]:
    """The template's values from a ``consent.widened`` body: what the carer agreed to (one
    short sentence each), who recorded it and when (their local date)."""
    names = EASY_PARTNER_NAMES if easy_read else PARTNER_NAMES
    partners = [names.get(p, p) for p in widened.get("added_share_with") or []]
    said = "You said we can" if easy_read else "You agreed to"
    sentences = []
    if partners:
        sentences.append(f"{said} share your information with {_listed(partners)}.")
    if widened.get("contact_added"):
        also = "" if not partners or easy_read else "also "
        sentences.append(
            "You said we can contact you."
            if easy_read
            else f"You {also}agreed that we can contact you."
        )
    at = widened["recorded_at"]
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return {
        "what_changed": " ".join(sentences) or "Who can see your information has changed.",
        "recorded_by": recorded_by(widened.get("recorded_by") or {}),
        "recorded_on": long_date(moment, timezone),
    }


def plan_consent_notice(
    contact: Contact,
    widened: Mapping[str, Any],
    *,
    templates: TemplateSet,
    quiet_hours: QuietHours,
    now: datetime,
    common: Mapping[str, str],
    timezone: str,
) -> Plan:
    """Whether, how and when to send the notice, and its words (as ``plan_notification``
    does for news of help, but on :func:`choose_notice_channel`)."""
    decision = choose_notice_channel(contact)
    channel = "email" if decision.staff_task is not None else decision.channel
    if channel is None:
        return Plan(Status.NOT_SENT, "none", reason=decision.reason)
    template = templates.choose(TEMPLATE_ID, channel, contact.language, contact.easy_read)
    values = {
        **common,
        **notice_values(widened, template.easy_read, timezone),
        "given_name": (contact.given_name or "").strip() or "there",
    }
    subject, body = template.render(values)
    composed = Composed(template, subject, body)
    if decision.staff_task is not None:
        reason = STAFF_INSTRUCTIONS[decision.staff_task]
        return Plan(Status.STAFF_TASK, decision.staff_task, reason=reason, composed=composed)
    if channel == "sms":
        recipient, not_before = contact.mobile, quiet_hours.next_allowed(now)
    else:
        recipient, not_before = contact.email, now
    return Plan(
        Status.PENDING, channel, composed=composed, recipient=recipient, not_before=not_before
    )
