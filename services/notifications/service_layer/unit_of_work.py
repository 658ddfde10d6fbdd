"""The notifications unit of work: the shared transaction and the service's tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, bindparam, case, column, func, insert, or_, update, values
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications.adapters.orm import ContactRow, NotificationRow, ReadAuditRow
from services.notifications.domain.model import Contact, Status
from shared.messaging.tables import utcnow
from shared.messaging.uow import UnitOfWork

NOTIFICATIONS = NotificationRow.__table__  # type: ignore[attr-defined]
CONTACTS = ContactRow.__table__  # type: ignore[attr-defined]
NOTHING_TO_SEND = "nothing to send: details erased"
_CARRIED = tuple(  # what a notification.sent event carries
    NOTIFICATIONS.c[name]
    for name in (
        "notification_id",
        "carer_id",
        "template_id",
        "template_version",
        "channel",
        "referral_id",
    )
)


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
        One upsert for the whole batch: the opt-out column is never written here.
        """
        latest = {c.carer_id: c for c in contacts}
        if not latest:
            return []
        now = utcnow()
        rows = []
        for carer_id, contact in latest.items():
            document = {k: v for k, v in contact.__dict__.items() if k != "email_opted_out"}
            document["channels"] = list(contact.channels)
            text = json.dumps(document, ensure_ascii=False)
            rows.append({"carer_id": carer_id, "document": text, "updated_at": now})
        await self.session.flush()  # pending ORM changes (an erasure) go first, in order
        upsert = (pg_insert if self.dialect == "postgresql" else sqlite_insert)(CONTACTS)
        statement = upsert.on_conflict_do_update(
            index_elements=[CONTACTS.c.carer_id],
            set_={"document": upsert.excluded.document, "updated_at": upsert.excluded.updated_at},
        ).returning(CONTACTS.c.carer_id, CONTACTS.c.email_opted_out)
        result = await self.session.execute(statement, rows)
        opted_out = {row.carer_id for row in result if row.email_opted_out}
        return [
            contact.opted_out_of_email() if carer_id in opted_out else contact
            for carer_id, contact in latest.items()
        ]

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

    async def insert_notifications(self, records: list[dict[str, Any]]) -> None:
        """New send records given as columns (every column, in the same order), one statement."""
        if not records:
            return
        await self.session.flush()  # pending ORM changes go first, in order
        await self.session.execute(insert(NOTIFICATIONS), records)
        if any(r["status"] == Status.PENDING for r in records):
            self._queued = True

    def add_notification(self, row: NotificationRow) -> None:
        self.session.add(row)
        if row.status == Status.PENDING:
            self._queued = True

    def queued(self) -> None:
        """Say that this transaction made a message ready to send."""
        self._queued = True

    async def notification_by_reference(self, reference: str) -> NotificationRow | None:
        """By our id (the reference we gave the provider) or by the provider's own id, locked
        (FOR UPDATE) until this transaction ends.

        Why locked: a receipt races the dispatcher's record of the same send. Unlocked, it
        could read ``claimed``, the dispatcher then commit ``sent`` with its
        ``notification.sent``, and the receipt, writing after that, publish it a second time.
        Locked, it waits for the dispatcher and reads ``sent`` (or the dispatcher waits for
        it and finds the record no longer claimed).
        """
        row = await self.session.get(NotificationRow, reference, with_for_update=True)
        if row is not None:
            return row
        query = (
            select(NotificationRow)
            .where(NotificationRow.provider_reference == reference)
            .with_for_update()
        )
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

    def audit(self, entry: ReadAuditRow) -> None:
        """Record a read in this transaction: a read writes nothing else."""
        self.session.add(entry)

    async def audit_entries(self, carer_id: str | None = None) -> list[ReadAuditRow]:
        query = select(ReadAuditRow).order_by(col(ReadAuditRow.id))
        if carer_id is not None:
            query = query.where(ReadAuditRow.carer_id == carer_id)
        return list((await self.session.exec(query)).all())

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
        """These records, locked (FOR UPDATE) until this transaction ends: the dispatcher
        records a failure on them while a delivery receipt may be recording the same send."""
        query = (
            select(NotificationRow)
            .where(col(NotificationRow.notification_id).in_(ids))
            .with_for_update()
        )
        return list((await self.session.exec(query)).all())

    # Set-at-a-time forms of the above for the dispatcher's hot path: a few statements per
    # batch rather than an ORM object (and an UPDATE) per record.

    async def claim_due(
        self, now: datetime, limit: int, providers: Mapping[str, str]
    ) -> tuple[list[Row[Any]], int]:
        """Due ``pending`` records, oldest first, become ``claimed`` in this transaction
        (attempts + 1, ``provider`` by channel), in one statement; on PostgreSQL rows another
        dispatcher holds are skipped (there is only one, by advisory lock, but still).

        Returns (the claimed records, how many records changed). When none could be claimed,
        due records with nothing to send (details erased while a send was under way, or no
        provider for their channel) are cancelled, and counted.
        """
        t = NOTIFICATIONS
        due = or_(t.c.not_before.is_(None), t.c.not_before <= now)
        claimable = (
            core_select(t.c.notification_id)
            .where(
                t.c.status == Status.PENDING,
                due,
                t.c.recipient.is_not(None),
                t.c.body.is_not(None),
                t.c.channel.in_(list(providers)),
            )
            .order_by(t.c.not_before, t.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(t)
            .where(t.c.notification_id.in_(claimable))
            .values(
                status=Status.CLAIMED,
                attempts=t.c.attempts + 1,
                updated_at=now,
                provider=case(dict(providers), value=t.c.channel),
            )
            .returning(
                t.c.notification_id,
                t.c.carer_id,
                t.c.channel,
                t.c.recipient,
                t.c.subject,
                t.c.body,
                t.c.uncertain,
                t.c.template_id,
                t.c.context,
            )
        )
        claimed = list((await self.session.exec(claim)).all())  # type: ignore[call-overload]
        if claimed:
            return claimed, len(claimed)
        nothing_to_send = (
            update(t)
            .where(
                t.c.status == Status.PENDING,
                due,
                or_(
                    t.c.recipient.is_(None),
                    t.c.body.is_(None),
                    t.c.channel.not_in(list(providers)),
                ),
            )
            .values(status=Status.CANCELLED, reason=NOTHING_TO_SEND, updated_at=now)
        )
        result = await self.session.exec(nothing_to_send)  # type: ignore[call-overload]
        return [], int(result.rowcount or 0)

    async def still_claimed(self, ids: Sequence[str]) -> list[Row[Any]]:
        """Of these records, those still ``claimed`` (locked until this transaction ends), with
        what their events carry. A receipt or an erasure may have overtaken the dispatcher."""
        t = NOTIFICATIONS
        query = (
            core_select(*_CARRIED)
            .where(t.c.notification_id.in_(ids), t.c.status == Status.CLAIMED)
            .with_for_update()
        )
        return list((await self.session.exec(query)).all())  # type: ignore[call-overload]

    async def mark_sent(self, sent: Sequence[tuple[str, str]], now: datetime) -> list[Row[Any]]:
        """Record these (notification id, provider reference) as sent, where still
        ``claimed``: a delivery receipt or an erasure may have overtaken the dispatcher, and
        recorded what it had to. Returns the rows recorded, with what their events carry.

        PostgreSQL: one ``UPDATE ... FROM (VALUES ...) RETURNING``. SQLite: the claimed rows
        read first, then one executemany (SQLite has one writer: nothing can come between).
        """
        if not sent:
            return []
        t = NOTIFICATIONS
        carried = _CARRIED
        recorded = {
            "status": Status.SENT,
            "uncertain": False,
            "reason": None,
            "sent_at": now,
            "updated_at": now,
        }
        if self.dialect == "postgresql":
            given = values(column("nid", String), column("ref", String), name="given").data(
                list(sent)
            )
            returning = (
                update(t)
                .where(t.c.notification_id == given.c.nid, t.c.status == Status.CLAIMED)
                .values(provider_reference=given.c.ref, **recorded)
                .returning(*carried)
            )
            return list((await self.session.exec(returning)).all())  # type: ignore[call-overload]
        query = core_select(*carried).where(
            t.c.notification_id.in_([n for n, _ in sent]), t.c.status == Status.CLAIMED
        )
        rows = list((await self.session.exec(query)).all())  # type: ignore[call-overload]
        still = {row.notification_id for row in rows}
        statement = (
            update(t)
            .where(t.c.notification_id == bindparam("nid"))
            .values(provider_reference=bindparam("ref"), **recorded)
        )
        if still:
            rows_sent = [{"nid": n, "ref": r} for n, r in sent if n in still]
            await self.session.execute(statement, rows_sent)
        return rows


def _contact(row: ContactRow) -> Contact:
    document = json.loads(row.document)
    document["channels"] = tuple(document.get("channels") or ())
    return Contact(**document, email_opted_out=row.email_opted_out)
