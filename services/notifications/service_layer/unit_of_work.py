"""The notifications unit of work: the shared transaction and the service's tables."""

from __future__ import annotations

import json

from sqlmodel import col, select

from services.notifications.adapters.orm import ContactRow, NotificationRow
from services.notifications.domain.model import Contact
from shared.messaging.tables import utcnow
from shared.messaging.uow import UnitOfWork


class NotificationsUnitOfWork(UnitOfWork):
    async def contact(self, carer_id: str) -> Contact | None:
        row = await self.session.get(ContactRow, carer_id)
        return Contact(**json.loads(row.document)) if row else None

    async def save_contact(self, contact: Contact) -> None:
        document = json.dumps(contact.__dict__ | {"channels": list(contact.channels)})
        row = await self.session.get(ContactRow, contact.carer_id)
        if row is None:
            row = ContactRow(carer_id=contact.carer_id, document=document)
        else:
            row.document, row.updated_at = document, utcnow()
        self.session.add(row)

    async def has_notification(self, key: str) -> bool:
        query = select(NotificationRow.notification_id).where(
            NotificationRow.idempotency_key == key
        )
        return (await self.session.exec(query)).first() is not None

    def add_notification(self, row: NotificationRow) -> None:
        self.session.add(row)

    async def notifications_for(self, carer_id: str) -> list[NotificationRow]:
        query = (
            select(NotificationRow)
            .where(NotificationRow.carer_id == carer_id)
            .order_by(col(NotificationRow.created_at))
        )
        return list((await self.session.exec(query)).all())
