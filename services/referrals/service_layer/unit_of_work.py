"""The referrals unit of work: the shared transaction plus the referral repository."""

from __future__ import annotations

from typing import Self

from services.referrals.adapters.repository import ReferralRepository
from shared.messaging.uow import UnitOfWork


class ReferralsUnitOfWork(UnitOfWork):
    """One transaction over referrals, the inbox and the outbox (see shared/messaging/uow.py)."""

    referrals: ReferralRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.referrals = ReferralRepository(self.session)
        return self
