"""Loading and saving carer records, and the locks that keep matching sound under concurrency."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registry.adapters.orm import CarerRow, MatchLock, MatchReview
from services.registry.domain.model import Carer


class CarerRepository:
    """Carer records in the registry database, read and written inside the caller's UoW."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._rows: dict[str, CarerRow] = {}

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name if self.session.bind else "sqlite"

    async def lock(self, keys: list[str]) -> None:
        """Serialise every transaction that matches on any of ``keys``.

        PostgreSQL: a row per key, created if missing and locked FOR UPDATE in sorted order
        (so two transactions never wait on each other in a cycle); a second identification
        of the same person waits here until the first has committed its record, then sees
        it. SQLite: every write transaction already holds the database's write lock from its
        first statement (BEGIN IMMEDIATE), which serialises matching outright.
        """
        if self._dialect != "postgresql" or not keys:
            return
        ordered = sorted(set(keys))
        await self.session.exec(  # type: ignore[call-overload]
            pg_insert(MatchLock).values([{"key": k} for k in ordered]).on_conflict_do_nothing()
        )
        await self.session.exec(  # type: ignore[call-overload]
            text("SELECT key FROM match_locks WHERE key = ANY(:keys) ORDER BY key FOR UPDATE"),
            params={"keys": ordered},
        )

    async def get(self, carer_id: str) -> Carer | None:
        row = await self.session.get(CarerRow, carer_id)
        return self._load(row)

    async def by_nhs_number(self, nhs_number: str) -> Carer | None:
        result = await self.session.exec(select(CarerRow).where(CarerRow.nhs_number == nhs_number))
        return self._load(result.first())

    async def by_match_key(self, key: str, *, without_nhs_number: bool = False) -> list[Carer]:
        query = select(CarerRow).where(CarerRow.match_key == key)
        if without_nhs_number:
            query = query.where(col(CarerRow.nhs_number).is_(None))
        rows = (await self.session.exec(query.order_by(col(CarerRow.created_at)))).all()
        return [c for c in (self._load(r) for r in rows) if c is not None]

    async def add(self, carer: Carer) -> None:
        row = CarerRow(
            carer_id=carer.carer_id,
            nhs_number=carer.nhs_number,
            match_key=carer.match_key,
            version=carer.version,
            document=json.dumps(carer.to_document(), ensure_ascii=False),
        )
        self.session.add(row)
        self._rows[carer.carer_id] = row

    async def save(self, carer: Carer) -> None:
        row = self._rows.get(carer.carer_id) or await self.session.get(CarerRow, carer.carer_id)
        if row is None:
            await self.add(carer)
            return
        row.nhs_number = carer.nhs_number
        row.match_key = carer.match_key
        row.version = carer.version
        row.document = json.dumps(carer.to_document(), ensure_ascii=False)
        row.updated_at = datetime.now(UTC)
        self.session.add(row)
        await self.session.flush()

    async def hold_for_review(self, review: MatchReview) -> None:
        self.session.add(review)

    def _load(self, row: CarerRow | None) -> Carer | None:
        if row is None:
            return None
        self._rows[row.carer_id] = row
        return Carer.from_document(json.loads(row.document))
