"""What comes back: providers' delivery receipts, and carers unsubscribing from email."""

from __future__ import annotations

from datetime import datetime

from services.notifications.domain.model import Status, receipt_transition
from services.notifications.service_layer.events import publish
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork


async def apply_receipt(
    uow: NotificationsUnitOfWork,
    *,
    reference: str | None,
    provider_id: str | None,
    reported: str,
    now: datetime,
) -> bool:
    """Record a provider's status for the message with our ``reference`` (or its own id).

    False when no such message is ours. Idempotent: a receipt repeated (providers retry
    callbacks) or arriving late changes nothing and publishes nothing.
    """
    row = await uow.notification_by_reference(reference) if reference else None
    if row is None and provider_id:
        row = await uow.notification_by_reference(provider_id)
    if row is None:
        return False
    transition = receipt_transition(row.status, reported)
    if transition.status is None:
        return True
    if row.status in (Status.CLAIMED, Status.PENDING):
        # The receipt overtook the dispatcher's record (or a crash hid it): record the send.
        row.provider_reference = provider_id or row.provider_reference
        row.sent_at, row.uncertain = now, False
    row.status, row.updated_at = transition.status, now
    if transition.status in Status.FINAL:
        row.completed_at = now
        row.reason = None if transition.status == Status.DELIVERED else f"provider: {reported}"
    for event_type in transition.events:
        publish(uow, row, event_type)
    await uow.commit()
    return True


async def unsubscribe_from_email(
    uow: NotificationsUnitOfWork, carer_id: str, now: datetime
) -> bool:
    """The carer used the link in an email: no more email; unsent emails are cancelled.

    Their other channels (a text, a letter) still work: unsubscribing from email is not
    withdrawing consent to be told about their support.
    """
    if not await uow.opt_out_of_email(carer_id):
        return False
    for row in await uow.unsent_for(carer_id, frozenset({Status.PENDING})):
        if row.channel == "email":
            row.status, row.reason = Status.CANCELLED, "the carer unsubscribed from email"
            row.updated_at = now
    await uow.commit()
    return True
