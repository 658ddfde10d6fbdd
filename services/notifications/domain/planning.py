"""From an event and a carer's contact details to a planned message (pure).

The plan is made once, when the triggering event is handled, and stored with the send
record: the text, the recipient and the earliest time it may go. A resend after a crash
therefore sends exactly the text that was planned, and staff can see what was sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.notifications.domain.model import Contact, choose_channel
from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.send_record import Status
from services.notifications.domain.templates import Template, TemplateSet

STAFF_INSTRUCTIONS = {
    "post": "The carer asked for letters: please post them this message.",
    "phone": "The carer asked for phone calls: please phone them and tell them this.",
}


@dataclass(frozen=True)
class Composed:
    """Rendered text and the template variant it came from."""

    template: Template
    subject: str | None
    body: str


@dataclass(frozen=True)
class Plan:
    """What to record for one (event, template, carer): a message, a staff task or a reason."""

    status: str
    channel: str
    reason: str | None = None
    composed: Composed | None = None
    recipient: str | None = None
    not_before: datetime | None = None


def compose(
    templates: TemplateSet,
    template_id: str,
    channel: str,
    contact: Contact,
    context: Mapping[str, str | None],
    common: Mapping[str, str],
    *,
    footer: bool = True,
) -> Composed:
    """Render ``template_id`` for ``channel`` in the carer's language and reading level.

    ``common`` holds deployment-wide values (help line, sender, unsubscribe link); ``context``
    the triggering event's non-personal facts (which service the carer was referred to).
    Every email gets the footer with its unsubscribe link.
    """
    template = templates.choose(template_id, channel, contact.language, contact.easy_read)
    values = {
        **common,
        **templates.service_values(template.language, context.get("service")),
        "given_name": (contact.given_name or "").strip() or "there",
    }
    subject, body = template.render(values)
    if channel == "email" and footer:
        end = templates.choose("_footer", "email", template.language, template.easy_read)
        body = f"{body}\n\n{end.render(values)[1]}"
    return Composed(template, subject, body)


def plan_notification(
    contact: Contact,
    template_id: str,
    context: Mapping[str, str | None],
    *,
    templates: TemplateSet,
    quiet_hours: QuietHours,
    now: datetime,
    common: Mapping[str, str],
) -> Plan:
    """Decide whether, how and when to tell the carer, and with which words."""
    decision = choose_channel(contact)
    if decision.staff_task is not None:
        letter = compose(templates, template_id, "email", contact, context, common, footer=False)
        return Plan(
            Status.STAFF_TASK,
            decision.staff_task,
            reason=STAFF_INSTRUCTIONS[decision.staff_task],
            composed=letter,
        )
    if decision.channel is None:
        return Plan(Status.NOT_SENT, "none", reason=decision.reason)
    composed = compose(templates, template_id, decision.channel, contact, context, common)
    if decision.channel == "sms":
        recipient, not_before = contact.mobile, quiet_hours.next_allowed(now)
    else:
        recipient, not_before = contact.email, now
    return Plan(
        Status.PENDING,
        decision.channel,
        composed=composed,
        recipient=recipient,
        not_before=not_before,
    )
