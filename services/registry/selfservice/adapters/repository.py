"""Reading and writing the self-service tables inside the caller's unit of work."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registry.adapters.orm import CarerRow
from services.registry.selfservice.adapters.orm import (
    ChallengeRow,
    DraftRow,
    LockRow,
    ReferenceRow,
    TrackedReferralRow,
)
from services.registry.selfservice.domain.signin import Challenge, Lock

CARERS = CarerRow.__table__  # type: ignore[attr-defined]


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


class SelfServiceRepository:
    """References, sign-in challenges, locks and tracked referrals of self-service carers."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._tracked: dict[str, TrackedReferralRow | None] = {}  # loaded (None: not yet)

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name if self.session.bind else "sqlite"

    # -- references ---------------------------------------------------------------------------

    async def reference_exists(self, reference: str) -> bool:
        return await self.session.get(ReferenceRow, reference) is not None

    def add_reference(self, reference: str, event_id: str) -> None:
        self.session.add(ReferenceRow(reference=reference, event_id=event_id))

    async def carer_for_reference(self, reference: str) -> str | None:
        """The carer a reference became, linking it now if the registry processed it."""
        row = await self.session.get(ReferenceRow, reference)
        if row is None:
            return None
        if row.carer_id is not None and await self._carer_exists(row.carer_id):
            return row.carer_id
        # Not linked yet (held for review, then resolved) or merged into another record: the
        # record that holds the identification's event id in its sources is the one.
        found = await self.session.scalar(
            select(CARERS.c.carer_id).where(
                CARERS.c.document.like(f'%"event_id":"{row.event_id}"%')
            )
        )
        if found is not None:
            row.carer_id = found
            self.session.add(row)
        return found  # type: ignore[no-any-return]

    async def link(self, event_id: str, carer_id: str) -> None:
        await self.session.execute(
            update(ReferenceRow)
            .where(col(ReferenceRow.event_id) == event_id)
            .values(carer_id=carer_id)
        )

    async def _carer_exists(self, carer_id: str) -> bool:
        found = await self.session.scalar(
            select(CARERS.c.carer_id).where(CARERS.c.carer_id == carer_id)
        )
        return found is not None

    # -- challenges and locks ----------------------------------------------------------------

    def add_challenge(self, challenge: Challenge) -> None:
        self.session.add(
            ChallengeRow(
                challenge_id=challenge.challenge_id,
                subject=challenge.subject,
                carer_id=challenge.carer_id,
                code_hash=challenge.code_hash,
                created_at=challenge.created_at,
                expires_at=challenge.expires_at,
            )
        )

    async def supersede(self, subject: str, now: datetime) -> None:
        """A new code makes every earlier unused code for the same subject worthless."""
        await self.session.execute(
            update(ChallengeRow)
            .where(
                col(ChallengeRow.subject) == subject,
                col(ChallengeRow.used_at).is_(None),
                col(ChallengeRow.expires_at) > now,
            )
            .values(expires_at=now)
        )

    async def challenge(self, challenge_id: str) -> Challenge | None:
        row = await self.session.scalar(
            self._for_update(
                select(ChallengeRow).where(col(ChallengeRow.challenge_id) == challenge_id)
            )
        )
        if row is None:
            return None
        return Challenge(
            challenge_id=row.challenge_id,
            subject=row.subject,
            carer_id=row.carer_id,
            code_hash=row.code_hash,
            created_at=aware(row.created_at),  # type: ignore[arg-type]
            expires_at=aware(row.expires_at),  # type: ignore[arg-type]
            used_at=aware(row.used_at),
        )

    async def save_challenge(self, challenge: Challenge) -> None:
        await self.session.execute(
            update(ChallengeRow)
            .where(col(ChallengeRow.challenge_id) == challenge.challenge_id)
            .values(used_at=challenge.used_at)
        )

    async def lock(self, subject: str) -> Lock:
        """The subject's lock row, created if missing and held until commit (PostgreSQL)."""
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        await self.session.execute(
            insert(LockRow).values(subject=subject, failures=0).on_conflict_do_nothing()
        )
        row = await self.session.scalar(
            self._for_update(select(LockRow).where(col(LockRow.subject) == subject))
        )
        assert row is not None
        return Lock(row.subject, row.failures, aware(row.locked_until))

    async def save_lock(self, lock: Lock) -> None:
        await self.session.execute(
            update(LockRow)
            .where(col(LockRow.subject) == lock.subject)
            .values(failures=lock.failures, locked_until=lock.locked_until)
        )

    def _for_update(self, query: Any) -> Any:
        return query.with_for_update() if self._dialect == "postgresql" else query

    # -- referrals, as the carer sees them ---------------------------------------------------

    async def load_tracked(self, referral_ids: Iterable[str]) -> None:
        """Read these referrals' rows in one query; ``track_referral`` then finds them (or
        knows they are new) without a query each."""
        wanted = list(set(referral_ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await self.session.execute(
                select(TrackedReferralRow).where(col(TrackedReferralRow.referral_id).in_(chunk))
            )
            found = {row.referral_id: row for row in rows.scalars()}
            self._tracked.update({i: found.get(i) for i in chunk})

    async def track_referral(self, data: dict[str, Any], at: datetime) -> None:
        referral_id = data["referral_id"]
        if referral_id in self._tracked:
            row = self._tracked[referral_id]
        else:
            row = await self.session.get(TrackedReferralRow, referral_id)
        if row is None:
            row = TrackedReferralRow(
                referral_id=referral_id,
                carer_id=data["carer_id"],
                service=data["service"],
                status=data["status"],
                created_at=at,
            )
            self._tracked[referral_id] = row
        row.carer_id, row.status, row.updated_at = data["carer_id"], data["status"], at
        row.due_by = data.get("due_by") or row.due_by
        row.reason = data.get("reason")
        row.outcome = json.dumps(data["outcome"]) if data.get("outcome") else None
        self.session.add(row)

    async def referrals(self, carer_id: str) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(TrackedReferralRow)
            .where(col(TrackedReferralRow.carer_id) == carer_id)
            .order_by(col(TrackedReferralRow.created_at), col(TrackedReferralRow.referral_id))
        )
        return [
            {
                "referral_id": r.referral_id,
                "service": r.service,
                "status": r.status,
                "due_by": r.due_by,
                "reason": r.reason,
                "outcome": json.loads(r.outcome) if r.outcome else None,
            }
            for r in rows.scalars()
        ]

    # -- erasure ------------------------------------------------------------------------------

    async def forget(self, carer_id: str) -> None:
        """Remove every self-service row naming the carer (their record is being erased)."""
        for table in (ReferenceRow, ChallengeRow, TrackedReferralRow):
            await self.session.execute(
                delete(table).where(col(table.carer_id) == carer_id)  # type: ignore[attr-defined]
            )

    async def expire_old(self, before: datetime) -> None:
        """Housekeeping: challenges past use are deleted (they are worthless anyway)."""
        await self.session.execute(
            delete(ChallengeRow).where(col(ChallengeRow.expires_at) < before)
        )

    # -- drafts of "tell us you are a carer" ------------------------------------------------

    async def draft(self, draft_id: str, now: datetime) -> dict[str, Any] | None:
        """The answers so far, or None (no such draft, or it expired)."""
        row = await self.session.get(DraftRow, draft_id)
        if row is None or (aware(row.expires_at) or now) <= now:
            return None
        answers: dict[str, Any] = json.loads(row.answers)
        return answers

    async def save_draft(self, draft_id: str, answers: dict[str, Any], expires: datetime) -> None:
        row = await self.session.get(DraftRow, draft_id)
        if row is None:
            row = DraftRow(draft_id=draft_id, answers="{}", expires_at=expires)
        row.answers = json.dumps(answers)
        row.expires_at = expires
        self.session.add(row)

    async def expire_drafts(self, now: datetime) -> None:
        """Housekeeping: drafts nobody came back to are deleted."""
        await self.session.execute(delete(DraftRow).where(col(DraftRow.expires_at) < now))
