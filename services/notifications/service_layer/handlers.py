"""Notification use cases on Kafka events: keep contact details; decide and record messages.

These run inside the event processor's transaction and never call a provider: they only
decide and commit a send record (``pending``, unique per (event, template, carer)). The
dispatcher sends it afterwards. So a slow or failing provider never holds up the consumer,
and a redelivered event finds its record already there.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.notifications.adapters.orm import NotificationRow
from services.notifications.domain.consent_notice import TEMPLATE_ID as CONSENT_NOTICE
from services.notifications.domain.model import (
    Contact,
    Status,
    idempotency_key,
    unsubscribe_token,
)
from services.notifications.domain.planning import Plan, plan_notification
from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.templates import TemplateSet
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.clock import Clock
from shared.events import CloudEvent
from shared.messaging.tables import utcnow
from shared.telemetry import continued_span

Event = tuple[CloudEvent, Any]
Handler = Callable[[CloudEvent, Any, NotificationsUnitOfWork], Awaitable[None]]
BatchHandler = Callable[[list[Event], NotificationsUnitOfWork], Awaitable[None]]
CONTACT_EVENTS = ("carer.registered", "carer.updated")


@dataclass(frozen=True)
class NotificationPolicy:
    """Everything a decision needs besides the event: templates, hours, clock, wording."""

    templates: TemplateSet
    quiet_hours: QuietHours
    clock: Clock
    triggers: Mapping[str, str]
    help_phone: str
    sender: str
    public_url: str
    unsubscribe_secret: str
    # Templates sent whatever the carer's consent to contact (a safeguard, such as the notice
    # that their consent was widened), each with its own planner: (contact, context) -> Plan.
    safeguards: Mapping[str, Callable[[Contact, Mapping[str, Any]], Plan]] = field(
        default_factory=dict
    )

    def unsubscribe_url(self, carer_id: str) -> str:
        token = unsubscribe_token(self.unsubscribe_secret, carer_id)
        return f"{self.public_url.rstrip('/')}/unsubscribe/{token}"

    def plan(self, contact: Contact, template_id: str, context: Mapping[str, Any]) -> Plan:
        safeguard = self.safeguards.get(template_id)
        if safeguard is not None:
            return safeguard(contact, context)
        return plan_notification(
            contact,
            template_id,
            context,
            templates=self.templates,
            quiet_hours=self.quiet_hours,
            now=self.clock.now(),
            common={
                "help_phone": self.help_phone,
                "sender": self.sender,
                "unsubscribe_url": self.unsubscribe_url(contact.carer_id),
            },
        )


def plan_values(plan: Plan) -> dict[str, Any]:
    """The columns of a send record that a plan decides."""
    values: dict[str, Any] = {
        "status": plan.status,
        "channel": plan.channel,
        "reason": plan.reason,
        "recipient": plan.recipient,
        "not_before": plan.not_before,
    }
    if plan.composed is not None:
        template = plan.composed.template
        values["template_version"] = template.version
        values["variant"] = template.variant
        values["language"] = template.language
        values["subject"] = plan.composed.subject
        values["body"] = plan.composed.body
    return values


def apply_plan(row: NotificationRow, plan: Plan, uow: NotificationsUnitOfWork) -> None:
    for name, value in plan_values(plan).items():
        setattr(row, name, value)
    if plan.status == Status.PENDING:
        uow.queued()


async def remember_contacts(
    events: list[Event], uow: NotificationsUnitOfWork, policy: NotificationPolicy
) -> None:
    """On ``carer.registered``/``carer.updated``: keep how (and whether) to reach each carer,
    plan messages that were waiting for these details, and cancel unsent ones if the carer
    withdrew consent to contact. Set-at-a-time: a burst of registrations is three queries."""
    contacts = await uow.save_contacts(Contact.from_registry(e.data) for e, _ in events)
    by_carer = {c.carer_id: c for c in contacts}
    waiting = frozenset({Status.PENDING, Status.AWAITING_CONTACT})
    for row in await uow.unsent_for(by_carer, waiting):
        contact = by_carer[row.carer_id]
        if row.status == Status.AWAITING_CONTACT:
            apply_plan(row, policy.plan(contact, row.template_id, json.loads(row.context)), uow)
        elif not contact.may_contact and row.template_id not in policy.safeguards:
            row.status, row.reason = Status.CANCELLED, "the carer withdrew consent to contact"


async def notify_carers(
    events: list[Event], uow: NotificationsUnitOfWork, policy: NotificationPolicy
) -> None:
    """On a configured trigger (``referral.created`` ...): record the message each carer is
    due, once.

    If the registry's details have not arrived yet (they come on another topic, so another
    partition may be read first), the record waits as ``awaiting-contact`` and is planned when
    they do; nothing is lost and nothing is sent twice.
    """
    template_id = policy.triggers[events[0][0].type]
    keyed = {idempotency_key(e.id, template_id, body.carer_id): (e, body) for e, body in events}
    # Why: the inbox stops a redelivered (source, id); this stops a second record for the same
    # event however it arrives again (a replay from another source, a re-run of the topic).
    done = await uow.existing_keys(keyed)
    contacts = await uow.contacts(body.carer_id for _, body in events)
    records = []
    for key, (envelope, body) in keyed.items():
        if key in done:
            continue
        with continued_span(
            f"notifications.{envelope.type}",
            envelope.traceparent,
            **{"cloudevents.event_id": envelope.id},
        ):
            records.append(_plan_one(key, envelope, body, template_id, contacts, policy))
    await uow.insert_notifications(records)


def _plan_one(
    key: str,
    envelope: CloudEvent,
    body: Any,
    template_id: str,
    contacts: dict[str, Any],
    policy: NotificationPolicy,
) -> dict[str, Any]:
    """One due message's send record (as columns), planned now if the carer's details are
    known. Columns, not an ORM object: at thousands a second, building the object cost more
    than deciding the message."""
    context = {
        "event_type": envelope.type,
        "referral_id": getattr(body, "referral_id", None),
        "service": getattr(body, "service", None),
    }
    record = _record(key, envelope, body.carer_id, template_id, context)
    contact = contacts.get(body.carer_id)
    if contact is not None:
        record.update(plan_values(policy.plan(contact, template_id, context)))
    return record


def _record(
    key: str, envelope: CloudEvent, carer_id: str, template_id: str, context: dict[str, Any]
) -> dict[str, Any]:
    """A send record's columns, waiting for the carer's contact details until planned."""
    now = utcnow()
    return {
        "notification_id": str(uuid.uuid4()),
        "idempotency_key": key,
        "carer_id": carer_id,
        "event_id": envelope.id,
        "event_type": envelope.type,
        "referral_id": context.get("referral_id"),
        "context": json.dumps(context),
        "template_id": template_id,
        "template_version": 0,
        "variant": None,
        "language": None,
        "channel": "none",
        "status": Status.AWAITING_CONTACT,
        "reason": "waiting for the carer's contact details",
        "recipient": None,
        "subject": None,
        "body": None,
        "not_before": None,
        "attempts": 0,
        "uncertain": False,
        "provider": None,
        "provider_reference": None,
        "created_at": now,
        "updated_at": now,
        "sent_at": None,
        "completed_at": None,
    }


async def forget_carer(
    envelope: CloudEvent, body: Any, uow: NotificationsUnitOfWork, _policy: NotificationPolicy
) -> None:
    """On ``carer.erased``: delete the contact details, clear personal data from the records
    and cancel anything not yet sent."""
    await uow.delete_contact(body.carer_id)
    await uow.erase_carer(body.carer_id, "the carer's details were erased")


async def merge_carers(
    envelope: CloudEvent, body: Any, uow: NotificationsUnitOfWork, _policy: NotificationPolicy
) -> None:
    """On ``carer.merged``: the merged record's messages now belong to the surviving carer,
    whose contact details arrive with the registry's ``carer.updated``."""
    await uow.delete_contact(body.merged_carer_id)
    await uow.reassign(body.merged_carer_id, body.carer_id)


async def tell_of_widened_consent(
    envelope: CloudEvent, body: Any, uow: NotificationsUnitOfWork, policy: NotificationPolicy
) -> None:
    """On ``consent.widened``: record the notice to the carer, once (see
    ``domain/consent_notice.py`` for why it goes whatever their consent to contact). The
    registry publishes it after the ``carer.updated`` with the carer's details, on the same
    partition, so they are normally here; if not, the notice waits for them."""
    template_id = CONSENT_NOTICE
    key = idempotency_key(envelope.id, template_id, body.carer_id)
    if await uow.existing_keys([key]):
        return  # never twice: however the event arrives again
    context = {"event_type": envelope.type, "widened": body.model_dump(mode="json")}
    contacts = await uow.contacts([body.carer_id])
    record = _record(key, envelope, body.carer_id, template_id, context)
    contact = contacts.get(body.carer_id)
    if contact is not None:
        record.update(plan_values(policy.plan(contact, template_id, context)))
    await uow.insert_notifications([record])


def make_handlers(
    policy: NotificationPolicy,
) -> tuple[dict[str, Handler], dict[str, BatchHandler]]:
    """(per-event handlers, batch handlers) by event type. A registry event can both update
    contact details and be a configured trigger (a welcome message, say)."""
    steps: dict[str, list[Callable[..., Awaitable[None]]]] = {}
    for event_type in CONTACT_EVENTS:
        steps.setdefault(event_type, []).append(remember_contacts)
    for event_type in policy.triggers:
        steps.setdefault(event_type, []).append(notify_carers)

    def run_of(chain: list[Callable[..., Awaitable[None]]]) -> BatchHandler:
        async def handle(events: list[Event], uow: NotificationsUnitOfWork) -> None:
            for step in chain:
                await step(events, uow, policy)

        return handle

    def one(step: Callable[..., Awaitable[None]]) -> Handler:
        async def handle(envelope: CloudEvent, body: Any, uow: NotificationsUnitOfWork) -> None:
            await step(envelope, body, uow, policy)

        return handle

    handlers = {"carer.erased": one(forget_carer), "carer.merged": one(merge_carers)}
    if CONSENT_NOTICE in policy.safeguards:
        handlers["consent.widened"] = one(tell_of_widened_consent)
    return handlers, {event_type: run_of(chain) for event_type, chain in steps.items()}
