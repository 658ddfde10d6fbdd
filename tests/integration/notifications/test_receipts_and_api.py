"""Delivery receipts from Notify (over real HTTP), the staff API, and unsubscribing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn

from services.notifications.bootstrap import Notifications
from services.notifications.domain.send_record import Status
from services.notifications.settings import DEV_CALLBACK_TOKEN
from shared import topics
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from tests.harness import events_on, eventually
from tests.integration.notifications.conftest import (
    api,
    records,
    staff_headers,
    wait_for_records,
)
from tests.integration.notifications.events import referral, registered, send

pytestmark = pytest.mark.kafka


@pytest.fixture
async def served(notifications: Notifications, notify_stub: NotifyStub) -> AsyncIterator[str]:
    """The service's HTTP API on a real port, with the stub calling it back with receipts."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(notifications.app, lifespan="off", log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: asyncio.sleep(0, result=server.started))
    notify_stub.callback_url = f"{url}/notifications/receipts"
    notify_stub.callback_token = DEV_CALLBACK_TOKEN
    yield url
    server.should_exit = True
    await task


async def test_receipts_record_delivery_and_failure_and_publish_them_once(
    served: str,
    notifications: Notifications,
    notify_stub: NotifyStub,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    delivered = registered(channels=("sms",))
    bounced = registered(channels=("sms",), mobile="07700900002")  # Notify: permanent failure
    await send(
        kafka_bootstrap,
        namespace,
        delivered,
        bounced,
        referral(delivered.subject or ""),
        referral(bounced.subject or ""),
    )

    await wait_for_records(notifications, delivered.subject or "", Status.DELIVERED)
    [failed] = await wait_for_records(notifications, bounced.subject or "", "permanent-failure")
    assert failed.reason == "provider: permanent-failure"
    assert {c["answer"] for c in notify_stub.callbacks()} == {200}

    async def all_events() -> list[str] | None:
        events = await events_on(kafka_bootstrap, namespace + topics.NOTIFICATIONS)
        types = sorted(e["type"] for e in events)
        return types if len(types) == 4 else None

    assert await eventually(all_events) == [
        "notification.delivered",
        "notification.failed",
        "notification.sent",
        "notification.sent",
    ]


async def test_a_receipt_needs_the_token_and_a_known_reference_and_counts_once(
    notifications: Notifications, smtp_sink: SmtpSink, kafka_bootstrap: str, namespace: str
) -> None:
    carer = registered()
    await send(kafka_bootstrap, namespace, carer, referral(carer.subject or ""))
    [row] = await wait_for_records(notifications, carer.subject or "", Status.SENT)
    receipt = {"id": "provider-id", "reference": row.notification_id, "status": "delivered"}
    good = {"Authorization": f"Bearer {DEV_CALLBACK_TOKEN}"}
    async with api(notifications) as client:
        assert (await client.post("/notifications/receipts", json=receipt)).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (
            await client.post("/notifications/receipts", json=receipt, headers=wrong)
        ).status_code == 401
        unknown = receipt | {"reference": "no-such", "id": "no-such"}
        assert (
            await client.post("/notifications/receipts", json=unknown, headers=good)
        ).status_code == 404
        for _ in range(2):  # Notify retries callbacks: the second must change nothing
            answer = await client.post("/notifications/receipts", json=receipt, headers=good)
            assert answer.status_code == 200
    [row] = await records(notifications, carer.subject or "")
    assert row.status == Status.DELIVERED

    async def delivered_events() -> list[dict]:
        events = await events_on(kafka_bootstrap, namespace + topics.NOTIFICATIONS)
        return [e for e in events if e["type"] == "notification.delivered"]

    await eventually(delivered_events)
    await asyncio.sleep(0.3)  # give a wrongful second event time to appear
    assert len(await delivered_events()) == 1


async def test_staff_see_what_was_sent_to_a_carer_and_others_may_not(
    notifications: Notifications, kafka_bootstrap: str, namespace: str
) -> None:
    carer = registered()
    await send(kafka_bootstrap, namespace, carer, referral(carer.subject or ""))
    await wait_for_records(notifications, carer.subject or "", Status.SENT)
    params = {"carer_id": carer.subject}
    async with api(notifications) as client:
        assert (await client.get("/notifications", params=params)).status_code == 401
        gp = await client.get("/notifications", params=params, headers=staff_headers("gp"))
        assert gp.status_code == 403
        missing = await client.get("/notifications", headers=staff_headers())
        assert missing.status_code == 422 and "carer_id" in missing.text
        answer = await client.get("/notifications", params=params, headers=staff_headers("admin"))
    [record] = answer.json()
    assert record["status"] == "sent" and record["template_id"] == "referral-created"
    assert record["template_version"] == 1 and "recipient" not in record


async def test_the_unsubscribe_link_stops_email_but_only_when_the_carer_confirms(
    notifications: Notifications, smtp_sink: SmtpSink, kafka_bootstrap: str, namespace: str
) -> None:
    carer = registered(channels=("email", "sms"))
    await send(kafka_bootstrap, namespace, carer, referral(carer.subject or ""))
    await wait_for_records(notifications, carer.subject or "", Status.SENT)
    [mail] = smtp_sink.messages()
    path = mail.headers["List-Unsubscribe"].strip("<>").removeprefix("http://carers.test")
    async with api(notifications) as client:
        page = await client.get(path)  # a mail scanner following the link changes nothing
        assert page.status_code == 200 and "<form" in page.text
        assert (await client.get(path[:-3] + "abc")).status_code == 404  # forged token
        async with notifications.unit_of_work() as uow:
            assert not (await uow.contact(carer.subject or "")).email_opted_out  # type: ignore[union-attr]
        done = await client.post(path)
        assert done.status_code == 200 and "stopped your emails" in done.text

    # The next message goes by the carer's next channel, a text.
    await send(kafka_bootstrap, namespace, referral(carer.subject or "", "referral.accepted"))
    rows = await wait_for_records(notifications, carer.subject or "", Status.SENT, Status.SENT)
    assert sorted(r.channel for r in rows) == ["email", "sms"]
    assert len(smtp_sink.messages()) == 1
