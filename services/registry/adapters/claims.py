"""Claims held about carers (the ``claims`` table), read and written in the caller's UoW."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registry.adapters.orm import ClaimRow
from services.registry.domain.consent import PendingClaim

CLAIMS = ClaimRow.__table__  # type: ignore[attr-defined]


class ClaimRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, carer_id: str, claim: PendingClaim, at: datetime) -> ClaimRow:
        row = ClaimRow(
            claim_id=str(uuid.uuid4()),
            carer_id=carer_id,
            kind=claim.kind,
            status="pending",
            event_id=claim.event_id,
            source=claim.source,
            proposal=json.dumps(claim.proposal),
            recorded_by=json.dumps(claim.recorded_by),
            created_at=at,
        )
        self.session.add(row)
        return row

    async def get(self, claim_id: str) -> ClaimRow | None:
        return await self.session.get(ClaimRow, claim_id)

    async def pending(self, carer_id: str | None = None) -> list[ClaimRow]:
        """Pending claims, oldest first; one carer's when ``carer_id`` is given."""
        query = select(ClaimRow).where(col(ClaimRow.status) == "pending")
        if carer_id is not None:
            query = query.where(col(ClaimRow.carer_id) == carer_id)
        rows = await self.session.execute(query.order_by(col(ClaimRow.created_at)))
        return list(rows.scalars())

    async def for_event(self, event_id: str) -> ClaimRow | None:
        rows = await self.session.execute(
            select(ClaimRow).where(col(ClaimRow.event_id) == event_id).limit(1)
        )
        return rows.scalars().first()

    def decide(self, row: ClaimRow, status: str, by: dict[str, Any], at: datetime) -> None:
        row.status = status
        row.decided_at = at
        row.decided_by = json.dumps(by)
        self.session.add(row)

    async def move(self, from_carer_id: str, to_carer_id: str) -> None:
        """A record folded into another after a review: its claims follow it."""
        await self.session.execute(
            update(CLAIMS).where(CLAIMS.c.carer_id == from_carer_id).values(carer_id=to_carer_id)
        )

    async def forget(self, carer_id: str) -> None:
        """Erasure: every claim naming the carer goes (they hold personal data)."""
        await self.session.execute(delete(CLAIMS).where(CLAIMS.c.carer_id == carer_id))
