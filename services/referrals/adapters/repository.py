"""Loading and saving referrals inside the caller's unit of work."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.referrals.adapters.orm import ReferralRow
from services.referrals.domain.model import OPEN_STATUSES, Referral


def _document(referral: Referral) -> str:
    return json.dumps(
        {
            "story": referral.story,
            "identified_by": referral.identified_by,
            "category": referral.category,
            "reason": referral.reason,
            "outcome": referral.outcome,
        },
        ensure_ascii=False,
    )


def _referral(row: ReferralRow) -> Referral:
    document: dict[str, Any] = json.loads(row.document)
    return Referral(
        referral_id=row.referral_id,
        carer_id=row.carer_id,
        service=row.service,
        status=row.status,
        story=document.get("story"),
        identified_by=document.get("identified_by", []),
        category=document.get("category"),
        created_at=row.created_at,
        updated_at=row.updated_at,
        reason=document.get("reason"),
        outcome=document.get("outcome"),
        overdue=row.overdue,
    )


class ReferralRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._rows: dict[str, ReferralRow] = {}

    async def get(self, referral_id: str) -> Referral | None:
        row = await self.session.get(ReferralRow, referral_id)
        if row is None:
            return None
        self._rows[row.referral_id] = row
        return _referral(row)

    async def for_carer(self, carer_id: str) -> list[Referral]:
        rows = (
            await self.session.exec(
                select(ReferralRow)
                .where(ReferralRow.carer_id == carer_id)
                .order_by(col(ReferralRow.created_at))
            )
        ).all()
        for row in rows:
            self._rows[row.referral_id] = row
        return [_referral(row) for row in rows]

    async def open_for(self, carer_id: str) -> list[Referral]:
        return [r for r in await self.for_carer(carer_id) if r.status in OPEN_STATUSES]

    async def queue(
        self,
        *,
        services: list[str] | None = None,
        status: str | None = None,
        carer_id: str | None = None,
        overdue: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Referral]:
        query = select(ReferralRow)
        if services is not None:
            query = query.where(col(ReferralRow.service).in_(services))
        if status:
            query = query.where(ReferralRow.status == status)
        if carer_id:
            query = query.where(ReferralRow.carer_id == carer_id)
        if overdue is not None:
            query = query.where(ReferralRow.overdue == overdue)
        query = query.order_by(col(ReferralRow.created_at)).offset(offset).limit(limit)
        return [_referral(row) for row in (await self.session.exec(query)).all()]

    def add(self, referral: Referral) -> None:
        row = ReferralRow(
            referral_id=referral.referral_id,
            carer_id=referral.carer_id,
            service=referral.service,
            status=referral.status,
            overdue=referral.overdue,
            document=_document(referral),
            created_at=referral.created_at,
            updated_at=referral.updated_at,
        )
        self.session.add(row)
        self._rows[referral.referral_id] = row

    async def save(self, referral: Referral, at: datetime | None = None) -> None:
        row = self._rows.get(referral.referral_id) or await self.session.get(
            ReferralRow, referral.referral_id
        )
        if row is None:
            self.add(referral)
            return
        row.status = referral.status
        row.overdue = referral.overdue
        row.document = _document(referral)
        row.updated_at = at or referral.updated_at
        self.session.add(row)
        await self.session.flush()
