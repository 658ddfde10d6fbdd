"""No text message at night: it waits until 08:00 UK time; email is not held back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notifications.bootstrap import Notifications
from services.notifications.domain.send_record import Status
from services.notifications.service_layer.dispatcher import aware
from shared.clock import VirtualClock
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from tests.harness import eventually
from tests.integration.notifications.conftest import wait_for_records
from tests.integration.notifications.events import referral, registered, send

pytestmark = pytest.mark.kafka


async def test_a_text_due_at_night_waits_until_eight_in_the_morning_and_an_email_does_not(
    notifications: Notifications,
    clock: VirtualClock,
    notify_stub: NotifyStub,
    smtp_sink: SmtpSink,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    clock.set(datetime(2026, 6, 15, 21, 30, tzinfo=UTC))  # 22:30 in London (summer time)
    texter, emailer = registered(channels=("sms",)), registered(channels=("email",))
    await send(
        kafka_bootstrap,
        namespace,
        texter,
        emailer,
        referral(texter.subject or ""),
        referral(emailer.subject or ""),
    )

    await wait_for_records(notifications, emailer.subject or "", Status.SENT)
    [waiting] = await wait_for_records(notifications, texter.subject or "", Status.PENDING)
    assert waiting.not_before is not None
    assert aware(waiting.not_before) == datetime(2026, 6, 16, 7, 0, tzinfo=UTC)  # 08:00 BST
    assert notify_stub.notifications() == [] and len(smtp_sink.messages()) == 1

    clock.set(datetime(2026, 6, 16, 6, 59, tzinfo=UTC))  # 07:59: still quiet
    notifications.dispatcher.wake()
    await wait_for_records(notifications, texter.subject or "", Status.PENDING)
    assert notify_stub.notifications() == []

    clock.set(datetime(2026, 6, 16, 7, 0, tzinfo=UTC))
    notifications.dispatcher.wake()
    await wait_for_records(notifications, texter.subject or "", Status.SENT)
    await eventually(lambda: _count(notify_stub, 1))


async def _count(stub: NotifyStub, expected: int) -> bool:
    return len(stub.notifications()) == expected
