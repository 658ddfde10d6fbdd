"""The notifications unit of work: the shared transaction plus the service's repositories.

Built like every service's (``runtime.unit_of_work(NotificationsUnitOfWork)``), so it knows
its service name (the ``events published`` metric is labelled with it). The bootstrap sets
``on_ready`` to wake the dispatcher: a commit that made a message ready to send wakes it at
once instead of at its next poll.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Self

from services.notifications.adapters.contacts import ContactBook, ReadAudit
from services.notifications.adapters.orm import NotificationRow, ReadAuditRow
from services.notifications.adapters.repository import SendRecords
from services.notifications.domain.model import Contact
from services.notifications.domain.send_record import SendRecord
from shared.messaging.uow import UnitOfWork


class NotificationsUnitOfWork(UnitOfWork):
    """One transaction over send records, contacts, the read audit, the inbox and outbox."""

    sends: SendRecords
    contact_book: ContactBook
    read_audit: ReadAudit
    on_ready: Callable[[], None] | None = None
    """Set by the bootstrap: called after a commit that made a message ready to send."""

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.sends = SendRecords(self.session, self.dialect)
        self.contact_book = ContactBook(self.session, self.dialect)
        self.read_audit = ReadAudit(self.session)
        return self

    async def flush(self) -> None:
        await self.sends.flush()
        await super().flush()

    async def commit(self) -> None:
        await self.sends.flush()
        ready = self.sends.made_ready
        await super().commit()
        self.sends.made_ready = False
        if ready and self.on_ready is not None:
            self.on_ready()  # a message is ready: no need to wait for the next poll

    # Reads for operations, tests and benchmarks, which look at the service from outside.

    async def contacts(self, carer_ids: Iterable[str]) -> dict[str, Contact]:
        return await self.contact_book.get(carer_ids)

    async def contact(self, carer_id: str) -> Contact | None:
        return (await self.contact_book.get([carer_id])).get(carer_id)

    async def notifications_for(
        self, carer_id: str | None = None, status: str | None = None, limit: int = 500
    ) -> list[SendRecord]:
        return await self.sends.listed(carer_id, status, limit)

    async def status_counts(self) -> dict[str, int]:
        return await self.sends.status_counts()

    async def audit_entries(self, carer_id: str | None = None) -> list[ReadAuditRow]:
        return await self.read_audit.entries(carer_id)

    def add_notification(self, row: NotificationRow) -> None:
        """A record given as a row (the benchmark seeds thousands this way)."""
        self.sends.add_row(row)
