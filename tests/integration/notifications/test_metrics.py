"""The service's unit of work is built like every service's, so what it publishes is counted
under its own name on ``/metrics`` (it was counted under ``service=""``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from services.notifications.__main__ import MIGRATIONS
from services.notifications.adapters.orm import NotificationRow
from services.notifications.bootstrap import bootstrap
from services.notifications.domain.send_record import Status
from services.notifications.settings import DEV_CALLBACK_TOKEN, NotificationsSettings
from shared.migrations import upgrade_async

SERIES = "carers_events_published_total"


def published(exposition: str, service: str, event_type: str) -> float:
    """The counter's value for (service, event type) in a Prometheus exposition; 0 if absent."""
    for line in exposition.splitlines():
        if (
            line.startswith(SERIES + "{")
            and f'service="{service}"' in line
            and f'event_type="{event_type}"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_events_the_service_publishes_are_counted_under_its_name(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/notifications.db"
    await upgrade_async(MIGRATIONS, database_url)
    service = bootstrap(NotificationsSettings(database_url=database_url, dispatch=False))
    notification_id = str(uuid.uuid4())
    async with service.unit_of_work() as uow:  # a text the provider has accepted
        uow.add_notification(
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
        await uow.commit()
    transport = httpx.ASGITransport(app=service.app)  # no lifespan: nothing to connect
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            before = (await client.get("/metrics")).text
            receipt = await client.post(
                "/notifications/receipts",
                json={"id": "notify-1", "reference": notification_id, "status": "delivered"},
                headers={"Authorization": f"Bearer {DEV_CALLBACK_TOKEN}"},
            )
            assert receipt.status_code == 200, receipt.text
            after = (await client.get("/metrics")).text
    finally:
        await service.runtime.engine.dispose()
    for event_type in ("notification.sent", "notification.delivered"):
        counted = published(after, "notifications", event_type)
        assert counted == published(before, "notifications", event_type) + 1, event_type
    assert published(after, "", "notification.delivered") == published(
        before, "", "notification.delivered"
    ), "nothing is counted without a service name"
