"""The ``gp_coding_items`` table: one row per (carer, practice) ever suggested for coding.

Why a table and not a field on the record: the practice's list is a query by practice
(``GET /gp/carers-to-code``), and the row's existence is what makes the suggestion event
once-only (a replayed or repeated identification finds the row and publishes nothing).
Rows hold no personal data beyond the carer's id; they are deleted with the carer on erasure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import orjson
import sqlalchemy as sa
from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registry.adapters.repository import CARERS
from services.registry.domain.gp_coding import Status
from services.registry.domain.model import Carer

CHUNK = 500


class GpCodingItem(SQLModel, table=True):
    __tablename__ = "gp_coding_items"

    carer_id: str = Field(primary_key=True, max_length=36)
    practice_ods: str = Field(primary_key=True, max_length=10, index=True)
    status: str = Field(max_length=20)
    suggested_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


ITEMS = GpCodingItem.__table__  # type: ignore[attr-defined]


class GpCodingRepository:
    """Items read and written inside the caller's unit of work, set-at-a-time."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def items_of(self, carer_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """carer_id -> {practice: status}, for every carer named, in one query per chunk."""
        wanted = sorted(set(carer_ids))
        found: dict[str, dict[str, str]] = {c: {} for c in wanted}
        for start in range(0, len(wanted), CHUNK):
            rows = await self.session.execute(
                select(ITEMS.c.carer_id, ITEMS.c.practice_ods, ITEMS.c.status).where(
                    ITEMS.c.carer_id.in_(wanted[start : start + CHUNK])
                )
            )
            for carer_id, practice, status in rows:
                found[carer_id][practice] = status
        return found

    async def add(self, rows: list[tuple[str, str, datetime]]) -> None:
        """New open items: (carer_id, practice, suggested at)."""
        if rows:
            await self.session.execute(
                insert(ITEMS),
                [
                    {"carer_id": c, "practice_ods": p, "status": Status.OPEN, "suggested_at": at}
                    for c, p, at in rows
                ],
            )

    async def set_status(self, carer_id: str, practice: str, status: str, at: datetime) -> None:
        await self.session.execute(
            update(ITEMS)
            .where(ITEMS.c.carer_id == carer_id, ITEMS.c.practice_ods == practice)
            .values(status=status, closed_at=None if status == Status.OPEN else at)
        )

    async def forget(self, carer_id: str) -> None:
        """On erasure: the carer's items go with the rest of their data."""
        await self.session.execute(delete(ITEMS).where(ITEMS.c.carer_id == carer_id))

    async def open_for(
        self, practice: str, limit: int, offset: int
    ) -> tuple[list[tuple[Carer, datetime]], int]:
        """A page of the practice's open items (oldest first) with their records, and the
        total. Joined to the records, so an erased or merged-away carer never shows."""
        where = (
            ITEMS.c.practice_ods == practice.upper(),
            ITEMS.c.status == Status.OPEN,
            ITEMS.c.carer_id == CARERS.c.carer_id,
        )
        total = await self.session.scalar(
            select(func.count()).select_from(ITEMS, CARERS).where(*where)
        )
        rows = await self.session.execute(
            select(CARERS.c.document, ITEMS.c.suggested_at)
            .where(*where)
            .order_by(ITEMS.c.suggested_at, ITEMS.c.carer_id)
            .limit(limit)
            .offset(offset)
        )
        page = [(Carer.from_document(orjson.loads(doc)), at) for doc, at in rows]
        return page, int(total or 0)
