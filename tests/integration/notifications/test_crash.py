"""A notifications service killed (SIGKILL) at each step of a send sends each message once.

The service runs as its own process; a failpoint makes it kill itself at the step:
``notifications.before_provider`` (claimed, not sent), ``notifications.after_provider_accepted``
(the provider has it, we have not recorded it) and ``notifications.after_recording``. It is
started again without the failpoint, and the SMTP sink and the Notify stub (which outlive it)
must hold exactly one message per (event, template, recipient). The three crashes run side by
side, each with its own topics, database and servers, to keep the test short.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from services.notifications.adapters.orm import NotificationRow
from shared import topics
from shared.db import make_engine
from shared.devservers.notify_stub import EMAIL_TEMPLATE_ID, SMS_TEMPLATE_ID, NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from shared.kafka.local_broker import free_ports
from shared.messaging.tables import OutboxRecord
from tests.harness import ServiceProcess, create_topics, events_on, eventually, new_namespace
from tests.integration.notifications.events import referral, registered, send

pytestmark = pytest.mark.kafka

FAILPOINTS = (
    "notifications.before_provider",
    "notifications.after_provider_accepted",
    "notifications.after_recording",
)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_urls(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """One fresh database per crash, of each kind in turn."""
    if request.param == "sqlite":
        return [f"sqlite+aiosqlite:///{tmp_path}/crash{n}.db" for n in range(len(FAILPOINTS))]
    make = request.getfixturevalue("fresh_postgres_url")
    return [make("crash") for _ in FAILPOINTS]


async def _rows(database_url: str) -> list[NotificationRow]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(select(NotificationRow))).all())  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def _outbox_empty(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return not (await connection.execute(select(OutboxRecord.id))).first()
    finally:
        await engine.dispose()


async def _crash_and_recover(
    failpoint: str, database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    namespace = new_namespace()
    create_topics(kafka_bootstrap, namespace)
    port = free_ports(1)[0]
    with SmtpSink() as sink, NotifyStub() as stub, contextlib.ExitStack() as stack:
        process = ServiceProcess(
            "notifications",
            {
                "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                "KAFKA_TOPIC_NAMESPACE": namespace,
                "KAFKA_SESSION_TIMEOUT_MS": "6000",
                "NOTIFICATIONS_DATABASE_URL": database_url,
                "NOTIFICATIONS_HTTP_PORT": str(port),
                "OUTBOX_POLL_SECONDS": "0.1",
                "NOTIFICATIONS_DISPATCH_POLL_SECONDS": "0.1",
                "NOTIFICATIONS_QUIET_HOURS_START": "00:00",  # the same: no quiet hours,
                "NOTIFICATIONS_QUIET_HOURS_END": "00:00",  # whenever the test runs
                "NOTIFICATIONS_SMTP_HOST": sink.host,
                "NOTIFICATIONS_SMTP_PORT": str(sink.smtp_port),
                "NOTIFICATIONS_SMTP_LOOKUP_URL": sink.http_url,
                "NOTIFY_BASE_URL": stub.base_url,
                "NOTIFY_API_KEY": stub.api_key,
                "NOTIFY_EMAIL_TEMPLATE_ID": EMAIL_TEMPLATE_ID,
                "NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE_ID,
            },
            port,
            tmp_path / f"{failpoint}.log",
        )
        stack.callback(process.kill)
        emailer, texter = registered(), registered(channels=("sms",))
        await send(
            kafka_bootstrap,
            namespace,
            emailer,
            texter,
            referral(emailer.subject or ""),
            referral(texter.subject or ""),
        )

        process.start(extra_env={"CARERS_FAILPOINTS": failpoint})
        assert await process.wait_exit(timeout=90) == -9, f"{failpoint} was never reached"
        process.start()

        async def both_sent() -> list[NotificationRow] | None:
            rows = await _rows(database_url)
            sent = [r for r in rows if r.status == "sent"]
            return rows if len(sent) == 2 and await _outbox_empty(database_url) else None

        rows = await eventually(both_sent, timeout=90, interval=0.3)
        process.stop()

        ids = {r.channel: r.notification_id for r in rows}
        mails = Counter(m.message_id.partition("@")[0] for m in sink.messages())
        texts = Counter(n.reference for n in stub.notifications())
        assert mails == {ids["email"]: 1}, f"{failpoint}: emails {mails}"
        assert texts == {ids["sms"]: 1}, f"{failpoint}: texts {texts}"
        events = await events_on(kafka_bootstrap, namespace + topics.NOTIFICATIONS)
        published = Counter(e["data"]["notification_id"] for e in events)
        assert published == {ids["email"]: 1, ids["sms"]: 1}, f"{failpoint}: {published}"


async def test_a_service_killed_at_each_step_of_a_send_sends_each_message_exactly_once(
    database_urls: list[str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    await asyncio.gather(
        *(
            _crash_and_recover(failpoint, url, kafka_bootstrap, tmp_path)
            for failpoint, url in zip(FAILPOINTS, database_urls, strict=True)
        )
    )
