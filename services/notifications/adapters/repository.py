"""Loading and saving send records: the SQL of the notifications service.

The repository hands out :class:`SendRecord` aggregates and remembers what each looked like
when loaded; :meth:`SendRecords.flush` writes back only the columns a record's moves changed
(so a bulk erasure earlier in the same transaction is never overwritten with stale text).

The dispatcher's hot path does not load aggregates: :meth:`claim_due` and :meth:`mark_sent`
make the send record's ``claim`` and ``record_sent`` moves for a whole batch in one statement
each, of fixed text (measured: an ORM object and an UPDATE per record cost more than the
provider call). Everything here runs inside the unit of work's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, bindparam, case, column, func, insert, or_, update, values
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications.adapters.orm import NotificationRow
from services.notifications.domain.send_record import SendRecord, Status
from shared.messaging.tables import utcnow

NOTIFICATIONS = NotificationRow.__table__  # type: ignore[attr-defined]
NOTHING_TO_SEND = "nothing to send: details erased"
FIELDS = tuple(NOTIFICATIONS.c.keys())
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


def _record(row: NotificationRow) -> SendRecord:
    return SendRecord(**{name: getattr(row, name) for name in FIELDS})


class SendRecords:
    """The send records of one transaction; an identity map over those loaded for change."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect
        # id -> (row, record, the record's columns as last written)
        self._loaded: dict[str, tuple[NotificationRow, SendRecord, dict[str, Any]]] = {}
        self.made_ready = False
        """True once this transaction made a record ready to send (the dispatcher is woken)."""

    # -- new records ---------------------------------------------------------------------------

    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these never-twice keys already have a record."""
        query = select(NotificationRow.idempotency_key).where(
            col(NotificationRow.idempotency_key).in_(set(keys))
        )
        return set((await self._session.exec(query)).all())

    async def add(self, records: Sequence[SendRecord]) -> None:
        """New records, in one statement (every column, in the same order)."""
        if not records:
            return
        await self.flush()  # pending changes go first, in order
        await self._session.execute(insert(NOTIFICATIONS), [r.columns() for r in records])
        if any(r.ready for r in records):
            self.made_ready = True

    def add_row(self, row: NotificationRow) -> None:
        """A record given as a row (benchmarks seed thousands this way)."""
        self._session.add(row)
        if row.status == Status.PENDING:
            self.made_ready = True

    # -- records to change ---------------------------------------------------------------------

    def _track(self, rows: Iterable[NotificationRow]) -> list[SendRecord]:
        records = []
        for row in rows:
            known = self._loaded.get(row.notification_id)
            if known is None:
                record = _record(row)
                known = self._loaded[row.notification_id] = (row, record, record.columns())
            records.append(known[1])
        return records

    async def by_reference(self, reference: str) -> SendRecord | None:
        """By our id (the reference we gave the provider) or by the provider's own id, locked
        (FOR UPDATE) until this transaction ends.

        Why locked: a receipt races the dispatcher's record of the same send. Unlocked, it
        could read ``claimed``, the dispatcher then commit ``sent`` with its
        ``notification.sent``, and the receipt, writing after that, publish it a second time.
        Locked, it waits for the dispatcher and reads ``sent`` (or the dispatcher waits for
        it and finds the record no longer claimed).
        """
        row = await self._session.get(NotificationRow, reference, with_for_update=True)
        if row is None:
            query = (
                select(NotificationRow)
                .where(NotificationRow.provider_reference == reference)
                .with_for_update()
            )
            row = (await self._session.exec(query)).first()
        return None if row is None else self._track([row])[0]

    async def unsent_for(
        self, carer_ids: str | Iterable[str], statuses: frozenset[str]
    ) -> list[SendRecord]:
        """Records of these carers in these statuses, to change."""
        ids = {carer_ids} if isinstance(carer_ids, str) else set(carer_ids)
        await self.flush()
        query = select(NotificationRow).where(
            col(NotificationRow.carer_id).in_(ids), col(NotificationRow.status).in_(statuses)
        )
        return self._track((await self._session.exec(query)).all())

    async def claimed(self, ids: list[str]) -> list[SendRecord]:
        """These records, locked (FOR UPDATE) until this transaction ends: the dispatcher
        records a failure on them while a delivery receipt may be recording the same send."""
        query = (
            select(NotificationRow)
            .where(col(NotificationRow.notification_id).in_(ids))
            .with_for_update()
        )
        return self._track((await self._session.exec(query)).all())

    async def flush(self) -> None:
        """Write the columns each loaded record's moves changed, then the session's."""
        for row, record, written in self._loaded.values():
            now = record.columns()
            changed = {name: value for name, value in now.items() if written[name] != value}
            if changed:
                for name, value in changed.items():
                    setattr(row, name, value)
                self._session.add(row)
                written.update(changed)
                if changed.get("status") == Status.PENDING:
                    self.made_ready = True
        await self._session.flush()

    def _reload(self) -> None:
        """After a bulk update: loaded records see what it wrote (the ORM updated the rows)."""
        for row, record, written in self._loaded.values():
            for name in FIELDS:
                value = getattr(row, name)
                setattr(record, name, value)
                written[name] = value

    # -- whole carers --------------------------------------------------------------------------

    async def erase_carer(self, carer_id: str, reason: str) -> None:
        """Cancel what has not gone, and clear the personal data from every record."""
        await self.flush()
        await self._session.exec(  # type: ignore[call-overload]
            update(NotificationRow)
            .where(
                col(NotificationRow.carer_id) == carer_id,
                col(NotificationRow.status).in_(Status.UNSENT),
            )
            .values(status=Status.CANCELLED, reason=reason, updated_at=utcnow())
        )
        await self._session.exec(  # type: ignore[call-overload]
            update(NotificationRow)
            .where(col(NotificationRow.carer_id) == carer_id)
            .values(recipient=None, subject=None, body=None, updated_at=utcnow())
        )
        self._reload()

    async def reassign(self, from_carer: str, to_carer: str) -> None:
        """A merged carer's records now belong to the surviving carer."""
        await self.flush()
        await self._session.exec(  # type: ignore[call-overload]
            update(NotificationRow)
            .where(col(NotificationRow.carer_id) == from_carer)
            .values(carer_id=to_carer, updated_at=utcnow())
        )
        self._reload()

    # -- reads ---------------------------------------------------------------------------------

    async def listed(
        self, carer_id: str | None = None, status: str | None = None, limit: int = 500
    ) -> list[SendRecord]:
        """Snapshots for staff (not tracked: a read changes nothing)."""
        query = select(NotificationRow).order_by(col(NotificationRow.created_at)).limit(limit)
        if carer_id is not None:
            query = query.where(NotificationRow.carer_id == carer_id)
        if status is not None:
            query = query.where(NotificationRow.status == status)
        return [_record(row) for row in (await self._session.exec(query)).all()]

    async def status_counts(self) -> dict[str, int]:
        """How many records are in each status (operations, tests, benchmarks)."""
        query = select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
        return {status: count for status, count in (await self._session.exec(query)).all()}

    # -- the dispatcher, set-at-a-time ---------------------------------------------------------

    async def next_due_time(self) -> datetime | None:
        query = (
            select(NotificationRow.not_before)
            .where(NotificationRow.status == Status.PENDING)
            .order_by(col(NotificationRow.not_before))
            .limit(1)
        )
        return (await self._session.exec(query)).first()

    async def release_claimed(self) -> int:
        """After a restart every ``claimed`` record is released (``SendRecord.release``): it
        may or may not be at the provider, so it is looked up before any resend."""
        result = await self._session.exec(  # type: ignore[call-overload]
            update(NotificationRow)
            .where(col(NotificationRow.status) == Status.CLAIMED)
            .values(status=Status.PENDING, uncertain=True, updated_at=utcnow())
        )
        if result.rowcount:
            self.made_ready = True
        return int(result.rowcount or 0)

    async def claim_due(
        self, now: datetime, limit: int, providers: Mapping[str, str]
    ) -> tuple[list[Row[Any]], int]:
        """Due ``pending`` records, oldest first, are claimed (``SendRecord.claim``: attempts
        + 1, ``provider`` by channel) in one statement; on PostgreSQL rows another dispatcher
        holds are skipped (there is only one, by the leadership lock, but still).

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
        claimed = list((await self._session.exec(claim)).all())  # type: ignore[call-overload]
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
        result = await self._session.exec(nothing_to_send)  # type: ignore[call-overload]
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
        return list((await self._session.exec(query)).all())  # type: ignore[call-overload]

    async def mark_sent(self, sent: Sequence[tuple[str, str]], now: datetime) -> list[Row[Any]]:
        """Record these (notification id, provider reference) as sent (``SendRecord.record_sent``)
        where still ``claimed``: a delivery receipt or an erasure may have overtaken the
        dispatcher, and recorded what it had to. Returns the rows recorded, with what their
        events carry.

        PostgreSQL: one ``UPDATE ... FROM (VALUES ...) RETURNING``. SQLite: the claimed rows
        read first, then one executemany (SQLite has one writer: nothing can come between).
        """
        if not sent:
            return []
        t = NOTIFICATIONS
        recorded = {
            "status": Status.SENT,
            "uncertain": False,
            "reason": None,
            "sent_at": now,
            "updated_at": now,
        }
        if self._dialect == "postgresql":
            given = values(column("nid", String), column("ref", String), name="given").data(
                list(sent)
            )
            returning = (
                update(t)
                .where(t.c.notification_id == given.c.nid, t.c.status == Status.CLAIMED)
                .values(provider_reference=given.c.ref, **recorded)
                .returning(*_CARRIED)
            )
            return list((await self._session.exec(returning)).all())  # type: ignore[call-overload]
        query = core_select(*_CARRIED).where(
            t.c.notification_id.in_([n for n, _ in sent]), t.c.status == Status.CLAIMED
        )
        rows = list((await self._session.exec(query)).all())  # type: ignore[call-overload]
        still = {row.notification_id for row in rows}
        statement = (
            update(t)
            .where(t.c.notification_id == bindparam("nid"))
            .values(provider_reference=bindparam("ref"), **recorded)
        )
        if still:
            rows_sent = [{"nid": n, "ref": r} for n, r in sent if n in still]
            await self._session.execute(statement, rows_sent)
        return rows
