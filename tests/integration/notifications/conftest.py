"""The notifications service in this process, on the real broker, a real database of each
kind, the local SMTP sink and the local Notify; time is a :class:`VirtualClock` the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.notifications.__main__ import MIGRATIONS
from services.notifications.bootstrap import Notifications, bootstrap
from services.notifications.domain.send_record import SendRecord
from services.notifications.settings import NotificationsSettings
from shared.auth import mint_token
from shared.clock import VirtualClock
from shared.devservers.notify_stub import EMAIL_TEMPLATE_ID, SMS_TEMPLATE_ID, NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from shared.migrations import upgrade_async
from shared.settings import DEV_TOKEN_SECRET
from tests.harness import create_topics, eventually, new_namespace

# A Monday morning in March (GMT): no quiet hours unless a test moves the clock.
MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def namespace(kafka_bootstrap: str) -> str:
    ns = new_namespace()
    create_topics(kafka_bootstrap, ns)
    return ns


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(MORNING)


def service_settings(
    kafka_bootstrap: str,
    namespace: str,
    database_url: str,
    smtp_sink: SmtpSink,
    notify_stub: NotifyStub,
    **overrides: Any,
) -> NotificationsSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka_bootstrap,
        "kafka_topic_namespace": namespace,
        "database_url": database_url,
        "outbox_poll_seconds": 0.1,
        "dispatch_poll_seconds": 0.1,
        "smtp_host": smtp_sink.host,
        "smtp_port": smtp_sink.smtp_port,
        "smtp_lookup_url": smtp_sink.http_url,
        "notify_base_url": notify_stub.base_url,
        "notify_api_key": notify_stub.api_key,
        "notify_email_template_id": EMAIL_TEMPLATE_ID,
        "notify_sms_template_id": SMS_TEMPLATE_ID,
        "notify_timeout_seconds": 2.0,
        "public_url": "http://carers.test",
    }
    return NotificationsSettings(**(values | overrides))


ServiceFactory = Callable[..., Any]


@pytest.fixture
async def start_service(
    kafka_bootstrap: str,
    namespace: str,
    database_url: str,
    smtp_sink: SmtpSink,
    notify_stub: NotifyStub,
    clock: VirtualClock,
) -> AsyncIterator[ServiceFactory]:
    """``await start_service(**settings)``: a started service; stopped after the test."""
    started: list[Notifications] = []

    async def start(**overrides: Any) -> Notifications:
        settings = service_settings(
            kafka_bootstrap, namespace, database_url, smtp_sink, notify_stub, **overrides
        )
        await upgrade_async(MIGRATIONS, database_url)
        service = bootstrap(settings, clock=clock)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        await service.stop()


@pytest.fixture
async def notifications(start_service: ServiceFactory) -> Notifications:
    return await start_service()  # type: ignore[no-any-return]


def staff_headers(role: str = "council") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(DEV_TOKEN_SECRET, role, 'LCC')}"}


def api(service: Notifications) -> httpx.AsyncClient:
    """The service's HTTP API in-process (no lifespan: the test started the service)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://t")


async def records(service: Notifications, carer_id: str) -> list[SendRecord]:
    async with service.unit_of_work() as uow:
        return await uow.notifications_for(carer_id)


async def wait_for_records(
    service: Notifications, carer_id: str, *statuses: str, timeout: float = 30
) -> list[SendRecord]:
    """The carer's records once there are as many as ``statuses`` and they have those."""

    async def check() -> list[SendRecord] | None:
        rows = await records(service, carer_id)
        found = sorted(r.status for r in rows)
        return rows if found == sorted(statuses) else None

    return await eventually(check, timeout=timeout)
