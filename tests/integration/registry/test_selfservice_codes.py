"""The sign-in code travels from the registry's page through the real broker to the
notifications service, which sends it by the carer's preferred channel (email to the local
SMTP server, a text to the local Notify) once, however often the request is delivered."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.notifications.__main__ import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from services.notifications.bootstrap import Notifications
from services.notifications.bootstrap import bootstrap as notifications_bootstrap
from services.registry.bootstrap import Registry
from shared import topics
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from shared.events import CloudEvent
from shared.migrations import upgrade_async
from shared.settings import DEV_TOKEN_SECRET
from shared.signin_code import code_key, signin_code
from tests.harness import eventually, produce
from tests.integration.notifications.conftest import service_settings
from tests.integration.registry.selfservice_support import (
    ask_for_code,
    browser,
    enter_code,
    tell_us,
)
from tests.integration.registry.test_selfservice import registered

pytestmark = pytest.mark.kafka


@pytest.fixture
async def notifications(
    kafka_bootstrap: str,
    namespace: str,
    tmp_path: Path,
    smtp_sink: SmtpSink,
    notify_stub: NotifyStub,
) -> AsyncIterator[Notifications]:
    database = f"sqlite+aiosqlite:///{tmp_path}/notifications.db"
    await upgrade_async(NOTIFICATIONS_MIGRATIONS, database)
    service = notifications_bootstrap(
        service_settings(kafka_bootstrap, namespace, database, smtp_sink, notify_stub)
    )
    await service.start()
    yield service
    await service.stop()


def _code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


async def test_a_carer_signs_in_with_the_code_that_reached_the_smtp_server(
    registry: Registry, notifications: Notifications, smtp_sink: SmtpSink
) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        await registered(registry, reference)
        assert (await ask_for_code(client, reference)).status_code == 303

        async def mail() -> list:
            return [m for m in smtp_sink.messages() if "dilys@example.org" in m.rcpt_tos]

        (message,) = await eventually(mail, timeout=60)
        assert message.subject.startswith("Your code to check your support")
        assert "10 minutes" in message.text and "Never share this code" in message.text
        signed = await enter_code(client, _code_in(message.text))
        assert signed.status_code == 303
        page = await client.get("/self-service/your-support")
        assert page.status_code == 200 and "Dilys" in page.text


def _request(channel: str, recipient: str, minutes: int = 10) -> tuple[CloudEvent, str]:
    challenge = f"challenge-{channel}-0123456789abcdef"
    body = {
        "carer_id": "carer-1",
        "challenge_id": challenge,
        "channel": channel,
        "recipient": recipient,
        "given_name": "Priya",
        "easy_read": channel == "sms",
        "expires_at": (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat(),
    }
    event = CloudEvent.new("selfservice.code_requested", "urn:carers:registry", "carer-1", body)
    return event, signin_code(code_key(DEV_TOKEN_SECRET), challenge)


async def test_a_redelivered_request_sends_one_code_by_text_and_an_expired_one_none(
    notifications: Notifications,
    kafka_bootstrap: str,
    namespace: str,
    notify_stub: NotifyStub,
    smtp_sink: SmtpSink,
) -> None:
    text, code = _request("sms", "07700900456")
    stale, _ = _request("email", "late@example.org", minutes=-1)
    topic = namespace + topics.SELFSERVICE
    await produce(kafka_bootstrap, topic, [text.to_bytes(), text.to_bytes()], b"carer-1")
    await produce(kafka_bootstrap, topic, [stale.to_bytes()], b"carer-1")

    async def texts() -> list:
        return notify_stub.notifications("sms")

    (sent,) = await eventually(texts, timeout=60)
    assert code in sent.body and "Do not tell anyone" in sent.body, "easy read, as asked"

    async def recorded() -> list:
        async with notifications.unit_of_work() as uow:
            rows = await uow.notifications_for("carer-1")
        return rows if len(rows) == 2 else []

    rows = await eventually(recorded)
    assert sorted(r.status for r in rows) == ["not-sent", "sent"]
    assert smtp_sink.messages() == [], "an expired code is not sent"
    assert len(notify_stub.notifications("sms")) == 1, "never the same code twice"
