"""The ``notification.*`` events (contract 4b), built from a send record.

Bodies are the shared models (:mod:`shared.events.outbound`), which refuse message text and
contact details, so a slip here fails loudly instead of leaking a carer's number onto Kafka.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.notifications.domain.model import SOURCE
from services.notifications.domain.send_record import SendRecord
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared import topics
from shared.events import (
    CloudEvent,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    TemplateRef,
)

_BODIES: dict[str, type[BaseModel]] = {
    "notification.sent": NotificationSent,
    "notification.delivered": NotificationDelivered,
    "notification.failed": NotificationFailed,
}


def notification_event(row: SendRecord, event_type: str) -> CloudEvent:
    fields: dict[str, object] = {
        "notification_id": row.notification_id,
        "carer_id": row.carer_id,
        "template": TemplateRef(id=row.template_id, version=row.template_version),
        "channel": row.channel,
        "referral_id": row.referral_id,
    }
    if event_type == "notification.failed":
        fields |= {"reason": row.reason, "outcome": row.status}
    body = _BODIES[event_type](**fields)
    return CloudEvent.new(event_type, SOURCE, row.carer_id, body)


def publish_owed(uow: NotificationsUnitOfWork, record: SendRecord) -> None:
    """Queue the events the record's moves owe partners, in order, in this transaction (the
    outbox), keyed by carer for ordering; then it owes none."""
    for event_type in record.events:
        uow.publish(topics.NOTIFICATIONS, record.carer_id, notification_event(record, event_type))
    record.events.clear()


def publish_sent(uow: NotificationsUnitOfWork, row: Any) -> None:
    """``notification.sent`` for a record read as columns (the dispatcher's hot path): the
    same event as :func:`publish_owed` writes, without building the envelope model."""
    body = NotificationSent(
        notification_id=row.notification_id,
        carer_id=row.carer_id,
        template=TemplateRef(id=row.template_id, version=row.template_version),
        channel=row.channel,
        referral_id=row.referral_id,
    )
    uow.emit(
        topics.NOTIFICATIONS,
        row.carer_id,
        "notification.sent",
        SOURCE,
        body.model_dump(mode="json"),
    )
