"""The notifications unit of work: the shared transaction and the service's tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications.adapters.orm import ContactRow, NotificationRow
from services.notifications.domain.model import Contact, Status
from shared.messaging.tables import utcnow
from shared.messaging.uow import UnitOfWork


class NotificationsUnitOfWork(UnitOfWork):
    """Contacts and send records; wakes the dispatcher when a commit queued a message."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        on_commit: Callable[[], None] | None = None,
        topic_namespace: str = "",
        *,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(session_factory, on_commit, topic_namespace)
        self._on_queued = on_queued
        self._queued = False

    async def commit(self) -> None:
        await super().commit()
        if self._queued and self._on_queued is not None:
            self._on_queued()  # a message is ready: no need to wait for the next poll
        self._queued = False

    # -- contacts ------------------------------------------------------------------------------

    async def contact(self, carer_id: str) -> Contact | None:
        return (await self.contacts([carer_id])).get(carer_id)

    async def contacts(self, carer_ids: Iterable[str]) -> dict[str, Contact]:
        """The stored contact details of these carers (one query for a whole batch)."""
        query = select(ContactRow).where(col(ContactRow.carer_id).in_(set(carer_ids)))
        return {row.carer_id: _contact(row) for row in (await self.session.exec(query)).all()}

    async def save_contacts(self, contacts: Iterable[Contact]) -> list[Contact]:
        """Keep the registry's latest details; an earlier unsubscribe stays in force.

        Returns the contacts as stored (with their opt-out), the last one per carer winning.
        """
        latest = {c.carer_id: c for c in contacts}
        query = select(ContactRow).where(col(ContactRow.carer_id).in_(list(latest)))
        rows = {row.carer_id: row for row in (await self.session.exec(query)).all()}
        saved = []
        for carer_id, contact in latest.items():
            document = {k: v for k, v in contact.__dict__.items() if k != "email_opted_out"}
            document["channels"] = list(contact.channels)
            text = json.dumps(document, ensure_ascii=False)
            row = rows.get(carer_id)
            if row is None:
                row = ContactRow(carer_id=carer_id, document=text)
            else:
                row.document, row.updated_at = text, utcnow()
            self.session.add(row)
            saved.append(contact.opted_out_of_email() if row.email_opted_out else contact)
        return saved

    async def opt_out_of_email(self, carer_id: str) -> bool:
        row = await self.session.get(ContactRow, carer_id)
        if row is None:
            return False
        row.email_opted_out, row.updated_at = True, utcnow()
        self.session.add(row)
        return True

    async def delete_contact(self, carer_id: str) -> None:
        row = await self.session.get(ContactRow, carer_id)
        if row is not None:
            await self.session.delete(row)

    # -- send records --------------------------------------------------------------------------

    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        query = select(NotificationRow.idempotency_key).where(
            col(NotificationRow.idempotency_key).in_(set(keys))
        )
        return set((await self.session.exec(query)).all())

    def add_notification(self, row: NotificationRow) -> None:
        self.session.add(row)
        if row.status == Status.PENDING:
            self._queued = True

    def queued(self) -> None:
        """Say that this transaction made a message ready to send."""
        self._queued = True

    async def notification_by_reference(self, reference: str) -> NotificationRow | None:
        """By our id (the reference we gave the provider) or by the provider's own id."""
        row = await self.session.get(NotificationRow, reference)
        if row is not None:
            return row
        query = select(NotificationRow).where(NotificationRow.provider_reference == reference)
        return (await self.session.exec(query)).first()

    async def notifications_for(
        self, carer_id: str | None = None, status: str | None = None, limit: int = 500
    ) -> list[NotificationRow]:
        query = select(NotificationRow).order_by(col(NotificationRow.created_at)).limit(limit)
        if carer_id is not None:
            query = query.where(NotificationRow.carer_id == carer_id)
        if status is not None:
            query = query.where(NotificationRow.status == status)
        rows = list((await self.session.exec(query)).all())
        for row in rows:
            self.session.expunge(row)  # a read: snapshots that outlive the transaction
        return rows

    async def status_counts(self) -> dict[str, int]:
        """How many records are in each status (operations, tests, benchmarks)."""
        query = select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
        return {status: count for status, count in (await self.session.exec(query)).all()}

    async def unsent_for(
        self, carer_ids: str | Iterable[str], statuses: frozenset[str]
    ) -> list[NotificationRow]:
        """Records of these carers in these statuses (pending changes included)."""
        ids = {carer_ids} if isinstance(carer_ids, str) else set(carer_ids)
        query = select(NotificationRow).where(
            col(NotificationRow.carer_id).in_(ids), col(NotificationRow.status).in_(statuses)
        )
        return list((await self.session.exec(query)).all())

    async def erase_carer(self, carer_id: str, reason: str) -> None:
        """Cancel what has not gone, and clear the personal data from every record."""
        await self.session.exec(  # type: ignore[call-overload]
            update(NotificationRow)
            .where(
                col(NotificationRow.carer_id) == carer_id,
                col(NotificationRow.status).in_(Status.UNSENT),
            )
            .values(status=Status.CANCELLED, reason=reason, updated_at=utcnow())
        )
        await self.session.exec(  # type: ignore[call-overload]
            update(NotificationRow)
            .where(col(NotificationRow.carer_id) == carer_id)
            .values(recipient=None, subject=None, body=None, updated_at=utcnow())
        )

    async def reassign(self, from_carer: str, to_carer: str) -> None:
        await self.session.exec(  # type: ignore[call-overload]
            update(NotificationRow)
            .where(col(NotificationRow.carer_id) == from_carer)
            .values(carer_id=to_carer, updated_at=utcnow())
        )

    # -- for the dispatcher --------------------------------------------------------------------

    async def due(self, now: datetime, limit: int) -> list[NotificationRow]:
        """Pending records whose time has come, oldest first, locked for this transaction."""
        query = (
            select(NotificationRow)
            .where(
                NotificationRow.status == Status.PENDING,
                or_(
                    col(NotificationRow.not_before).is_(None),
                    col(NotificationRow.not_before) <= now,
                ),
            )
            .order_by(col(NotificationRow.not_before), col(NotificationRow.created_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.exec(query)).all())

    async def next_due_time(self) -> datetime | None:
        query = (
            select(NotificationRow.not_before)
            .where(NotificationRow.status == Status.PENDING)
            .order_by(col(NotificationRow.not_before))
            .limit(1)
        )
        return (await self.session.exec(query)).first()

    async def release_claimed(self) -> int:
        """After a restart: every claimed record may or may not be at the provider."""
        result = await self.session.exec(  # type: ignore[call-overload]
            update(NotificationRow)
            .where(col(NotificationRow.status) == Status.CLAIMED)
            .values(status=Status.PENDING, uncertain=True, updated_at=utcnow())
        )
        if result.rowcount:
            self._queued = True
        return int(result.rowcount or 0)

    async def claimed(self, ids: list[str]) -> list[NotificationRow]:
        query = select(NotificationRow).where(col(NotificationRow.notification_id).in_(ids))
        return list((await self.session.exec(query)).all())


def _contact(row: ContactRow) -> Contact:
    document = json.loads(row.document)
    document["channels"] = tuple(document.get("channels") or ())
    return Contact(**document, email_opted_out=row.email_opted_out)
