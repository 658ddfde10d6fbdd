"""Loading and saving referrals inside the caller's unit of work (SQLite and PostgreSQL).

Reads that lead to a change lock the rows they read (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so a member of staff
accepting a referral and the overdue sweep flagging it cannot overwrite each other.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from services.referrals.adapters.orm import ERASED, OPEN_ONLY, READ_AUDIT, REFERRALS
from services.referrals.domain.model import OPEN_STATUSES, CarerDetails, Referral
from services.referrals.domain.queue import QueueFilter, Read

COLUMNS = REFERRALS.c


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _document(referral: Referral) -> str:
    details = referral.details
    # orjson: the same JSON (UTF-8 kept, no escapes), several times faster than json.dumps,
    # and every referral written goes through here.
    return orjson.dumps(
        {
            "category": details.category,
            "story": details.story,
            "identified_by": list(details.identified_by),
            "caring_for": list(details.caring_for),
            "contact": details.contact,
            "reason": referral.reason,
            "outcome": referral.outcome,
            "withdrawn_for": referral.withdrawn_for,
            "history": referral.history,
            "erased": referral.erased,
            "details_removed": referral.details_removed,
        }
    ).decode()


def _values(referral: Referral) -> dict[str, Any]:
    return {
        "carer_id": referral.carer_id,
        "service": referral.service,
        "status": referral.status,
        "overdue": referral.overdue,
        "due_by": referral.due_by,
        "document": _document(referral),
        "created_at": referral.created_at.astimezone(UTC),
        "updated_at": referral.updated_at.astimezone(UTC),
    }


def _referral(row: Any) -> Referral:
    document: dict[str, Any] = orjson.loads(row.document)
    due = row.due_by if isinstance(row.due_by, date) else date.fromisoformat(row.due_by)
    return Referral(
        referral_id=row.referral_id,
        carer_id=row.carer_id,
        service=row.service,
        status=row.status,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        due_by=due,
        details=CarerDetails(
            category=document.get("category"),
            story=document.get("story"),
            identified_by=tuple(document.get("identified_by") or ()),
            caring_for=tuple(document.get("caring_for") or ()),
            contact=document.get("contact") or {},
        ),
        reason=document.get("reason"),
        outcome=document.get("outcome"),
        overdue=bool(row.overdue),
        withdrawn_for=document.get("withdrawn_for"),
        history=document.get("history") or [],
        erased=bool(document.get("erased")),
        details_removed=document.get("details_removed"),
    )


def _audit_row(read: Read) -> dict[str, Any]:
    return {
        "at": read.at,
        "subject": read.subject[:200],
        "role": read.role[:20],
        "org": read.org[:40],
        "action": read.action,
        "referral_id": read.referral_id,
        "carer_id": read.carer_id,
        "outcome": read.outcome,
    }


class ReferralRepository:
    """Referrals and erased carers in the service database, within one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.bind is not None and self.session.bind.dialect.name == "postgresql"

    async def _rows(self, query: sa.Select[Any]) -> list[Referral]:
        result = await self.session.execute(query)
        return [_referral(row) for row in result]

    async def get(self, referral_id: str, *, lock: bool = False) -> Referral | None:
        query = sa.select(REFERRALS).where(COLUMNS.referral_id == referral_id)
        found = await self._rows(query.with_for_update() if lock else query)
        return found[0] if found else None

    async def for_carer(self, carer_id: str, *, lock: bool = False) -> list[Referral]:
        """Every referral the carer has had, oldest first."""
        query = (
            sa.select(REFERRALS)
            .where(COLUMNS.carer_id == carer_id)
            .order_by(COLUMNS.created_at, COLUMNS.referral_id)
        )
        return await self._rows(query.with_for_update() if lock else query)

    async def for_carers(
        self, carer_ids: list[str], *, lock: bool = False
    ) -> dict[str, list[Referral]]:
        """Every referral of each carer, oldest first; one query for a whole batch."""
        if not carer_ids:
            return {}
        query = (
            sa.select(REFERRALS)
            .where(COLUMNS.carer_id.in_(carer_ids))
            .order_by(COLUMNS.carer_id, COLUMNS.created_at, COLUMNS.referral_id)
        )
        found: dict[str, list[Referral]] = {}
        for referral in await self._rows(query.with_for_update() if lock else query):
            found.setdefault(referral.carer_id, []).append(referral)
        return found

    async def add_all_if_none_open(self, referrals: list[Referral]) -> set[str]:
        """Insert new referrals, skipping any whose carer already has one open to that
        service; returns the ids actually stored.

        ``ON CONFLICT DO NOTHING`` on the partial unique index, not a caught IntegrityError:
        a second consumer racing to refer the same carer inserts nothing and carries on,
        and on PostgreSQL the rest of the batch's transaction is not aborted. One statement
        for the whole list (SQLAlchemy's "insertmanyvalues"), with RETURNING naming the rows.
        """
        if not referrals:
            return set()
        insert = pg_insert if self._postgres else sqlite_insert
        statement = (
            insert(REFERRALS)
            .on_conflict_do_nothing(
                index_elements=["carer_id", "service"], index_where=sa.text(OPEN_ONLY)
            )
            .returning(COLUMNS.referral_id)
        )
        rows = [{"referral_id": r.referral_id, **_values(r)} for r in referrals]
        return {row.referral_id for row in await self.session.execute(statement, rows)}

    async def save(self, referral: Referral) -> None:
        await self.save_all([referral])

    async def save_all(self, referrals: list[Referral]) -> None:
        """Write changed referrals back (one executemany for a batch)."""
        if not referrals:
            return
        # The SET clause comes from the parameter names (Core executemany).
        statement = sa.update(REFERRALS).where(COLUMNS.referral_id == sa.bindparam("key"))
        rows = [{"key": r.referral_id, **_values(r)} for r in referrals]
        await self.session.execute(statement, rows)

    def _filtered(self, wanted: QueueFilter, query: sa.Select[Any]) -> sa.Select[Any]:
        query = query.where(COLUMNS.service.in_(wanted.services))
        if wanted.status == "open":
            query = query.where(COLUMNS.status.in_(OPEN_STATUSES))
        elif wanted.status:
            query = query.where(COLUMNS.status == wanted.status)
        if wanted.carer_id:
            query = query.where(COLUMNS.carer_id == wanted.carer_id)
        overdue_now = sa.and_(COLUMNS.overdue.is_(True), COLUMNS.status == "requested")
        if wanted.overdue is True:
            query = query.where(overdue_now)
        elif wanted.overdue is False:
            query = query.where(sa.not_(overdue_now))
        return query

    async def queue(self, wanted: QueueFilter) -> tuple[list[Referral], int]:
        """One page of the queue, soonest due first, and how many match in all."""
        if not wanted.services:
            return [], 0
        total = await self.session.scalar(
            self._filtered(wanted, sa.select(sa.func.count()).select_from(REFERRALS))
        )
        query = (
            self._filtered(wanted, sa.select(REFERRALS))
            .order_by(COLUMNS.due_by, COLUMNS.created_at, COLUMNS.referral_id)
            .offset(wanted.offset)
            .limit(wanted.limit)
        )
        return await self._rows(query), int(total or 0)

    async def past_due(self, today: date, limit: int) -> list[Referral]:
        """Referrals still waiting to be accepted whose due date has passed, not yet flagged.

        ``SKIP LOCKED``: two instances sweeping at once take different rows, and a row a
        member of staff is accepting right now is left for the next sweep.
        """
        query = (
            sa.select(REFERRALS)
            .where(
                COLUMNS.status == "requested",
                COLUMNS.overdue.is_(False),
                COLUMNS.due_by < today,
            )
            .order_by(COLUMNS.due_by, COLUMNS.referral_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return await self._rows(query)

    async def remember_erased(self, carer_id: str, at: datetime) -> None:
        insert = pg_insert if self._postgres else sqlite_insert
        await self.session.execute(
            insert(ERASED)
            .values(carer_id=carer_id, erased_at=at.astimezone(UTC))
            .on_conflict_do_nothing(index_elements=["carer_id"])
        )

    async def erased_among(self, carer_ids: list[str]) -> set[str]:
        """Which of these carers the registry has erased."""
        if not carer_ids:
            return set()
        found = await self.session.scalars(
            sa.select(ERASED.c.carer_id).where(ERASED.c.carer_id.in_(carer_ids))
        )
        return set(found)

    async def audit(self, reads: list[Read]) -> None:
        """Record reads (one statement for a whole page of them)."""
        if reads:
            await self.session.execute(sa.insert(READ_AUDIT), [_audit_row(r) for r in reads])

    async def audit_entries(
        self, *, carer_id: str | None = None, referral_id: str | None = None
    ) -> list[Any]:
        query = sa.select(READ_AUDIT).order_by(READ_AUDIT.c.id)
        if carer_id is not None:
            query = query.where(READ_AUDIT.c.carer_id == carer_id)
        if referral_id is not None:
            query = query.where(READ_AUDIT.c.referral_id == referral_id)
        return list((await self.session.execute(query)).all())
