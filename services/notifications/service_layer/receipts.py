"""What comes back: providers' delivery receipts, and carers unsubscribing from email."""

from __future__ import annotations

from datetime import datetime

from services.notifications.domain.send_record import Status
from services.notifications.service_layer.events import publish_owed
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork

UNSUBSCRIBED = "the carer unsubscribed from email"


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
    callbacks) or arriving late changes nothing and publishes nothing. The record is locked
    while this runs, so a receipt racing the dispatcher's record of the same send waits for
    it (or it for the receipt), and ``notification.sent`` is published once.
    """
    record = await uow.sends.by_reference(reference) if reference else None
    if record is None and provider_id:
        record = await uow.sends.by_reference(provider_id)
    if record is None:
        return False
    if record.receive(reported, provider_id, now):
        publish_owed(uow, record)
        await uow.commit()
    return True


async def unsubscribe_from_email(
    uow: NotificationsUnitOfWork, carer_id: str, now: datetime
) -> bool:
    """The carer used the link in an email: no more email; unsent emails are cancelled.

    Their other channels (a text, a letter) still work: unsubscribing from email is not
    withdrawing consent to be told about their support.
    """
    if not await uow.contact_book.opt_out_of_email(carer_id):
        return False
    for record in await uow.sends.unsent_for(carer_id, frozenset({Status.PENDING})):
        if record.channel == "email":
            record.cancel(UNSUBSCRIBED, now)
    await uow.commit()
    return True
