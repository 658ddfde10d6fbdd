"""Provider failures: 429, 5xx and timeouts are retried with backoff (after a lookup, so an
accepted message is never sent again); permanent failures are recorded and published."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from services.notifications.bootstrap import Notifications
from services.notifications.domain.send_record import SendRecord, Status
from shared import topics
from shared.clock import VirtualClock
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from tests.harness import events_on, eventually
from tests.integration.notifications.conftest import ServiceFactory, records, wait_for_records
from tests.integration.notifications.events import referral, registered, send

pytestmark = pytest.mark.kafka


async def _until(
    service: Notifications,
    clock: VirtualClock,
    carer_id: str,
    done: Callable[[SendRecord], bool],
) -> SendRecord:
    """Move time on an hour at a go (backoff waits) until the carer's record is ``done``."""

    async def check() -> SendRecord | None:
        [row] = await records(service, carer_id) or [None]  # type: ignore[list-item]
        if row is not None and done(row):
            return row
        clock.advance(3600)
        service.dispatcher.wake()
        return None

    return await eventually(check, timeout=30, interval=0.2)


def _sms_carer() -> tuple[str, list]:
    carer = registered(channels=("sms",))
    return carer.subject or "", [carer, referral(carer.subject or "")]


async def test_429s_and_500s_are_retried_and_the_text_is_sent_once(
    notifications: Notifications,
    clock: VirtualClock,
    notify_stub: NotifyStub,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    notify_stub.fail_next(429, 2)
    notify_stub.fail_next(500, 1)
    carer_id, events = _sms_carer()
    await send(kafka_bootstrap, namespace, *events)

    row = await _until(notifications, clock, carer_id, lambda r: r.status == Status.SENT)
    assert row.attempts == 4
    assert len(notify_stub.notifications()) == 1
    assert [status for status, _ in notify_stub.refused()] == [429, 429, 500]


@pytest.mark.parametrize("fault", ["timeout", "500 after accepting"])
async def test_a_send_notify_accepted_but_did_not_confirm_is_not_sent_again(
    fault: str,
    notifications: Notifications,
    clock: VirtualClock,
    notify_stub: NotifyStub,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    if fault == "timeout":
        notify_stub.delay_next(4)  # the client gives up after 2 s; Notify kept the message
    else:
        notify_stub.fail_next(500, after_accept=True)
    carer_id, events = _sms_carer()
    await send(kafka_bootstrap, namespace, *events)

    await wait_for_records(notifications, carer_id, Status.PENDING, timeout=30)
    row = await _until(notifications, clock, carer_id, lambda r: r.status == Status.SENT)
    assert row.attempts == 2 and row.provider_reference == notify_stub.notifications()[0].id
    assert len(notify_stub.notifications()) == 1  # found by its reference, not resent


async def test_a_refused_text_is_a_permanent_failure_published_without_contact_details(
    start_service: ServiceFactory,
    notify_stub: NotifyStub,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    service = await start_service()
    notify_stub.fail_next(400)
    carer_id, events = _sms_carer()
    await send(kafka_bootstrap, namespace, *events)

    [row] = await wait_for_records(service, carer_id, Status.PERMANENT_FAILURE)
    assert row.attempts == 1 and row.reason and "400" in row.reason
    failed = await _events(kafka_bootstrap, namespace, "notification.failed")
    assert failed[0]["data"]["outcome"] == "permanent-failure"
    assert "07700900123" not in str(failed)


async def test_after_the_last_attempt_a_send_is_a_technical_failure(
    start_service: ServiceFactory,
    clock: VirtualClock,
    notify_stub: NotifyStub,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    service = await start_service(max_attempts=3)
    notify_stub.fail_next(503, 3)
    carer_id, events = _sms_carer()
    await send(kafka_bootstrap, namespace, *events)

    row = await _until(service, clock, carer_id, lambda r: r.status in Status.FINAL)
    assert (row.status, row.attempts) == (Status.TECHNICAL_FAILURE, 3)
    assert row.reason and row.reason.startswith("gave up after 3 attempts")
    assert notify_stub.notifications() == []
    assert await _events(kafka_bootstrap, namespace, "notification.failed")


async def test_smtp_try_later_is_retried_and_refused_is_permanent(
    notifications: Notifications,
    clock: VirtualClock,
    smtp_sink: SmtpSink,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    smtp_sink.fail_next(451, text="4.3.0 Try again later")
    later = registered()
    await send(kafka_bootstrap, namespace, later, referral(later.subject or ""))
    row = await _until(notifications, clock, later.subject or "", lambda r: r.status == "sent")
    assert row.attempts == 2 and len(smtp_sink.messages()) == 1

    smtp_sink.fail_next(550, text="5.1.1 <sian@example.org>: no such mailbox")
    refused = registered()
    await send(kafka_bootstrap, namespace, refused, referral(refused.subject or ""))
    [row] = await wait_for_records(notifications, refused.subject or "", Status.PERMANENT_FAILURE)
    assert row.reason == "SMTP 550: 5.1.1 <[recipient]>: no such mailbox"  # address scrubbed


async def test_an_email_the_server_kept_before_the_connection_dropped_is_not_sent_again(
    notifications: Notifications,
    clock: VirtualClock,
    smtp_sink: SmtpSink,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    smtp_sink.drop_next()
    carer = registered()
    await send(kafka_bootstrap, namespace, carer, referral(carer.subject or ""))
    row = await _until(notifications, clock, carer.subject or "", lambda r: r.status == "sent")
    assert row.attempts == 2
    assert len(smtp_sink.messages()) == 1  # looked up by Message-ID, not resent


async def test_email_goes_over_starttls_with_credentials(
    start_service: ServiceFactory,
    secure_smtp_sink: SmtpSink,
    tls_certificate: tuple,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    service = await start_service(
        smtp_port=secure_smtp_sink.smtp_port,
        smtp_lookup_url=secure_smtp_sink.http_url,
        smtp_security="starttls",
        smtp_ca_file=str(tls_certificate[0]),
        smtp_username="carers",
        smtp_password="s3cret",
    )
    carer = registered()
    await send(kafka_bootstrap, namespace, carer, referral(carer.subject or ""))
    await wait_for_records(service, carer.subject or "", Status.SENT)
    [mail] = secure_smtp_sink.messages()
    assert mail.tls and mail.login == "carers"


async def _events(bootstrap: str, namespace: str, event_type: str) -> list[dict]:
    async def found() -> list[dict]:
        events = await events_on(bootstrap, namespace + topics.NOTIFICATIONS)
        return [e for e in events if e["type"] == event_type]

    check: Callable[[], Awaitable[list[dict]]] = found
    return await eventually(check)
