"""A delivery receipt racing the dispatcher's record of the same send publishes
``notification.sent`` once.

Found by the fault suite (tests/faults, "after-provider", receipts on): 15 of 6,668 messages
were announced twice. The receipt read the record as ``claimed`` without a lock, the
dispatcher then recorded ``sent`` and queued ``notification.sent``, and the receipt, writing
after that commit, queued ``notification.sent`` again. PostgreSQL only: on SQLite every
transaction starts with ``BEGIN IMMEDIATE``, so the two never overlap.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from services.notifications.__main__ import MIGRATIONS
from services.notifications.adapters.orm import NotificationRow
from services.notifications.domain.send_record import Status
from services.notifications.service_layer.events import publish_sent
from services.notifications.service_layer.receipts import apply_receipt
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.db import make_engine, make_session_factory
from shared.messaging.tables import OutboxRecord
from shared.migrations import upgrade_async

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def test_a_receipt_that_overlaps_the_dispatchers_record_does_not_announce_the_send_twice(
    fresh_postgres_url: Callable[..., str],
) -> None:
    url = fresh_postgres_url("receipt_race")
    await upgrade_async(MIGRATIONS, url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    notification_id = str(uuid.uuid4())
    try:
        # A text the dispatcher has claimed and the provider has just accepted.
        async with NotificationsUnitOfWork(sessions) as setup:
            setup.session.add(
                NotificationRow(
                    notification_id=notification_id,
                    idempotency_key=uuid.uuid4().hex,
                    carer_id=str(uuid.uuid4()),
                    event_id=str(uuid.uuid4()),
                    event_type="referral.created",
                    template_id="referral-created",
                    template_version=1,
                    channel="sms",
                    status=Status.CLAIMED,
                    recipient="07700900001",
                    body="Your referral has been made.",
                    attempts=1,
                )
            )
            await setup.commit()

        async def receipt() -> None:
            async with NotificationsUnitOfWork(sessions) as uow:
                found = await apply_receipt(
                    uow,
                    reference=notification_id,
                    provider_id="notify-1",
                    reported=Status.DELIVERED,
                    now=NOW,
                )
                assert found

        # The dispatcher records the send: it holds the row (FOR UPDATE) while the receipt
        # comes in, and commits only once the receipt's transaction is waiting on that row.
        async with NotificationsUnitOfWork(sessions) as dispatcher:
            [row] = await dispatcher.sends.still_claimed([notification_id])
            racing = asyncio.create_task(receipt())
            await _until_a_transaction_waits_on_a_lock(engine, racing)
            publish_sent(dispatcher, row)
            await dispatcher.sends.mark_sent([(notification_id, "notify-1")], NOW)
            await dispatcher.commit()
        await asyncio.wait_for(racing, 30)

        async with NotificationsUnitOfWork(sessions) as check:
            outbox = (await check.session.exec(select(OutboxRecord))).all()
            final = await check.session.get(NotificationRow, notification_id)
        types = sorted(
            event["type"]
            for event in (json.loads(r.value) for r in outbox if r.value)
            if event["data"]["notification_id"] == notification_id
        )
        assert types == ["notification.delivered", "notification.sent"]
        assert final is not None and final.status == Status.DELIVERED
    finally:
        await engine.dispose()


async def _until_a_transaction_waits_on_a_lock(
    engine: AsyncEngine, racing: asyncio.Task[None], timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    async with engine.connect() as connection:
        while time.monotonic() < deadline:
            if racing.done():
                await racing  # it failed (or finished without waiting): say why
                raise AssertionError("the receipt finished without waiting for the dispatcher")
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            await connection.commit()
            if waiting:
                return
            await asyncio.sleep(0.02)
    raise AssertionError("the receipt never waited on the dispatcher's row lock")
