"""The overdue sweep: referrals not accepted within their working days are flagged once.

Runs periodically inside the service (``http_app(background=...)``). Each flag is stored in
the same transaction as its ``referral.overdue`` outbox row, so the event is published once
however often the sweep runs, however many instances run it, and across restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from services.referrals.domain.working_days import local_date
from services.referrals.service_layer.handlers import publish
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from shared.clock import Clock

log = logging.getLogger(__name__)


async def mark_overdue(
    unit_of_work: Callable[[], ReferralsUnitOfWork], now: datetime, batch: int = 200
) -> int:
    """Flag every referral past its due date at ``now``; how many were flagged."""
    today, flagged = local_date(now), 0
    while True:
        async with unit_of_work() as uow:
            waiting = await uow.referrals.past_due(today, batch)
            for referral in waiting:
                if referral.mark_overdue(now):
                    await uow.referrals.save(referral)
                    publish(referral, uow)
                    flagged += 1
            await uow.commit()
        if len(waiting) < batch:
            return flagged


async def sweep_periodically(
    unit_of_work: Callable[[], ReferralsUnitOfWork], clock: Clock, every_seconds: float
) -> None:
    """Run :func:`mark_overdue` now and every ``every_seconds`` until cancelled.

    What is overdue is judged at the service clock's time; the pause between sweeps is real
    time (a virtual clock's sleep would come round at once and spin the loop).
    """
    while True:
        try:
            flagged = await mark_overdue(unit_of_work, clock.now())
            if flagged:
                log.info("flagged %d overdue referrals", flagged)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("overdue sweep failed; it runs again in %.0f s", every_seconds)
        await asyncio.sleep(every_seconds)
