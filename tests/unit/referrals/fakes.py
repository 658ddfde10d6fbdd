"""The referrals unit of work in memory: a fake repository honouring ReferralRepository."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any, cast

from services.referrals.adapters.repository import ReferralRepository
from services.referrals.domain.model import OPEN_STATUSES, Referral
from services.referrals.domain.queue import QueueFilter, Read
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork


def _row(referral: Referral) -> Referral:
    """What a row keeps: the referral, not the events it has yet to publish."""
    row = copy.deepcopy(referral)
    row.pending_events = []
    return row


class FakeReferralRepository:
    """``ReferralRepository`` over plain tables; every read hands back copies, so a change
    counts only once it is saved, as with rows in a database."""

    def __init__(self, tables: dict[str, Any]) -> None:
        self.rows: dict[str, Referral] = tables.setdefault("referrals", {})
        self.erased: dict[str, datetime] = tables.setdefault("erased", {})
        self.reads: list[Read] = tables.setdefault("reads", [])

    def _sorted(self, referrals: list[Referral]) -> list[Referral]:
        ordered = sorted(referrals, key=lambda r: (r.created_at, r.referral_id))
        return [copy.deepcopy(r) for r in ordered]

    async def get(self, referral_id: str, *, lock: bool = False) -> Referral | None:
        found = self.rows.get(referral_id)
        return copy.deepcopy(found) if found else None

    async def for_carer(self, carer_id: str, *, lock: bool = False) -> list[Referral]:
        return self._sorted([r for r in self.rows.values() if r.carer_id == carer_id])

    async def for_carers(
        self, carer_ids: list[str], *, lock: bool = False
    ) -> dict[str, list[Referral]]:
        found: dict[str, list[Referral]] = {}
        for carer_id in carer_ids:
            if history := await self.for_carer(carer_id):
                found[carer_id] = history
        return found

    async def add_all_if_none_open(self, referrals: list[Referral]) -> set[str]:
        """The partial unique index: one open referral per carer and service."""
        stored = set()
        for referral in referrals:
            clash = any(
                r.carer_id == referral.carer_id
                and r.service == referral.service
                and r.status in OPEN_STATUSES
                for r in self.rows.values()
            )
            if not clash:
                self.rows[referral.referral_id] = _row(referral)
                stored.add(referral.referral_id)
        return stored

    async def save(self, referral: Referral) -> None:
        await self.save_all([referral])

    async def save_all(self, referrals: list[Referral]) -> None:
        for referral in referrals:
            self.rows[referral.referral_id] = _row(referral)

    async def queue(self, wanted: QueueFilter) -> tuple[list[Referral], int]:
        def matches(r: Referral) -> bool:
            if r.service not in wanted.services:
                return False
            if wanted.status == "open" and r.status not in OPEN_STATUSES:
                return False
            if wanted.status not in (None, "open") and r.status != wanted.status:
                return False
            if wanted.carer_id and r.carer_id != wanted.carer_id:
                return False
            return wanted.overdue is None or r.is_overdue == wanted.overdue

        found = sorted(
            (r for r in self.rows.values() if matches(r)),
            key=lambda r: (r.due_by, r.created_at, r.referral_id),
        )
        page = found[wanted.offset : wanted.offset + wanted.limit]
        return [copy.deepcopy(r) for r in page], len(found)

    async def past_due(self, today: date, limit: int) -> list[Referral]:
        waiting = [
            r
            for r in self.rows.values()
            if r.status == "requested" and not r.overdue and r.due_by < today
        ]
        waiting.sort(key=lambda r: (r.due_by, r.referral_id))
        return [copy.deepcopy(r) for r in waiting[:limit]]

    async def remember_erased(self, carer_id: str, at: datetime) -> None:
        self.erased.setdefault(carer_id, at)

    async def erased_among(self, carer_ids: list[str]) -> set[str]:
        return {c for c in carer_ids if c in self.erased}

    async def audit(self, reads: list[Read]) -> None:
        self.reads.extend(reads)

    async def audit_entries(
        self, *, carer_id: str | None = None, referral_id: str | None = None
    ) -> list[Any]:
        return [
            r
            for r in self.reads
            if (carer_id is None or r.carer_id == carer_id)
            and (referral_id is None or r.referral_id == referral_id)
        ]


class FakeReferralsUnitOfWork(FakeUnitOfWork, ReferralsUnitOfWork):
    def __init__(self, database: FakeDatabase | None = None) -> None:
        super().__init__(database, service="referrals")

    def open_repositories(self) -> None:
        self.referrals = cast(ReferralRepository, FakeReferralRepository(self.tables))
