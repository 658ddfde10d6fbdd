"""Notification use cases: keep carers' contact details; decide and record each message."""

from __future__ import annotations

import uuid
from typing import Any

from services.notifications.adapters.orm import NotificationRow
from services.notifications.domain.model import (
    TEMPLATE_FOR_EVENT,
    Contact,
    choose_channel,
    idempotency_key,
)
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.events import CloudEvent


async def remember_contact(envelope: CloudEvent, _body: Any, uow: NotificationsUnitOfWork) -> None:
    """On ``carer.registered``/``carer.updated``: keep how (and whether) to reach the carer."""
    await uow.save_contact(Contact.from_registry(envelope.data))


async def notify_carer(envelope: CloudEvent, body: Any, uow: NotificationsUnitOfWork) -> None:
    """On a referral event: record the message the carer is due, once.

    Walking skeleton: the message is recorded as ``pending``; delivery comes with the
    notifications issue.
    """
    template_id = TEMPLATE_FOR_EVENT[envelope.type]
    contact = await uow.contact(body.carer_id)
    if contact is None:
        return
    decision = choose_channel(contact)
    channel = decision.channel or decision.staff_task
    if channel is None:
        return
    key = idempotency_key(envelope.id, template_id, body.carer_id)
    # Why: a replayed or redelivered referral event must not produce a second message.
    if await uow.has_notification(key):
        return
    uow.add_notification(
        NotificationRow(
            notification_id=str(uuid.uuid4()),
            idempotency_key=key,
            carer_id=body.carer_id,
            event_id=envelope.id,
            event_type=envelope.type,
            referral_id=getattr(body, "referral_id", None),
            template_id=template_id,
            channel=channel,
            status="pending" if decision.channel else "staff-task",
        )
    )


HANDLERS = {
    "carer.registered": remember_contact,
    "carer.updated": remember_contact,
    "referral.created": notify_carer,
    "referral.accepted": notify_carer,
}
