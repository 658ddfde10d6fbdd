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

from services.notifications.domain.consent_notice import TEMPLATE_ID as CONSENT_NOTICE
from services.notifications.domain.model import Contact, unsubscribe_token
from services.notifications.domain.planning import Plan, plan_notification
from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.send_record import SendRecord, Status, idempotency_key
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
WITHDRAWN = "the carer withdrew consent to contact"
ERASED = "the carer's details were erased"


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


async def remember_contacts(
    events: list[Event], uow: NotificationsUnitOfWork, policy: NotificationPolicy
) -> None:
    """On ``carer.registered``/``carer.updated``: keep how (and whether) to reach each carer,
    plan messages that were waiting for these details, and cancel unsent ones if the carer
    withdrew consent to contact. Set-at-a-time: a burst of registrations is three queries."""
    contacts = await uow.contact_book.save(Contact.from_registry(e.data) for e, _ in events)
    by_carer = {c.carer_id: c for c in contacts}
    now = policy.clock.now()
    for record in await uow.sends.unsent_for(by_carer, Status.UNSENT):
        contact = by_carer[record.carer_id]
        if record.status == Status.AWAITING_CONTACT:
            context = json.loads(record.context)
            record.plan(policy.plan(contact, record.template_id, context), now)
        elif not contact.may_contact and record.template_id not in policy.safeguards:
            record.cancel(WITHDRAWN, now)


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
    done = await uow.sends.existing_keys(keyed)
    contacts = await uow.contact_book.get(body.carer_id for _, body in events)
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
    await uow.sends.add(records)


def _plan_one(
    key: str,
    envelope: CloudEvent,
    body: Any,
    template_id: str,
    contacts: dict[str, Contact],
    policy: NotificationPolicy,
    context: dict[str, Any] | None = None,
) -> SendRecord:
    """One due message's send record, planned now if the carer's details are known (a plain
    object, inserted as columns: at thousands a second an ORM object cost more than deciding
    the message). ``context``: the event's non-personal facts, a referral's by default."""
    context = context or {
        "event_type": envelope.type,
        "referral_id": getattr(body, "referral_id", None),
        "service": getattr(body, "service", None),
    }
    record = _owed(key, envelope, body.carer_id, template_id, context)
    contact = contacts.get(body.carer_id)
    if contact is not None:
        record.plan(policy.plan(contact, template_id, context), record.created_at or utcnow())
    return record


def _owed(
    key: str, envelope: CloudEvent, carer_id: str, template_id: str, context: dict[str, Any]
) -> SendRecord:
    """A new send record, ``awaiting-contact`` until planned. Its times say when the row was
    written (the database's clock), not what the policy's clock decided."""
    now = utcnow()
    return SendRecord(
        notification_id=str(uuid.uuid4()),
        idempotency_key=key,
        carer_id=carer_id,
        event_id=envelope.id,
        event_type=envelope.type,
        template_id=template_id,
        referral_id=context.get("referral_id"),
        context=json.dumps(context),
        created_at=now,
        updated_at=now,
    )


async def forget_carer(
    envelope: CloudEvent, body: Any, uow: NotificationsUnitOfWork, _policy: NotificationPolicy
) -> None:
    """On ``carer.erased``: delete the contact details, clear personal data from the records
    and cancel anything not yet sent."""
    await uow.contact_book.forget(body.carer_id)
    await uow.sends.erase_carer(body.carer_id, ERASED)


async def merge_carers(
    envelope: CloudEvent, body: Any, uow: NotificationsUnitOfWork, _policy: NotificationPolicy
) -> None:
    """On ``carer.merged``: the merged record's messages now belong to the surviving carer,
    whose contact details arrive with the registry's ``carer.updated``."""
    await uow.contact_book.forget(body.merged_carer_id)
    await uow.sends.reassign(body.merged_carer_id, body.carer_id)


async def tell_of_widened_consent(
    envelope: CloudEvent, body: Any, uow: NotificationsUnitOfWork, policy: NotificationPolicy
) -> None:
    """On ``consent.widened``: record the notice to the carer, once (see
    ``domain/consent_notice.py`` for why it goes whatever their consent to contact). The
    registry publishes it after the ``carer.updated`` with the carer's details, on the same
    partition, so they are normally here; if not, the notice waits for them."""
    template_id = CONSENT_NOTICE
    key = idempotency_key(envelope.id, template_id, body.carer_id)
    if await uow.sends.existing_keys([key]):
        return  # never twice: however the event arrives again
    context = {"event_type": envelope.type, "widened": body.model_dump(mode="json")}
    contacts = await uow.contact_book.get([body.carer_id])
    await uow.sends.add([_plan_one(key, envelope, body, template_id, contacts, policy, context)])


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
