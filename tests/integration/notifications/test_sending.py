"""Carers are told, once, on the channel they chose, only if they agreed (contract 4.4)."""

from __future__ import annotations

import pytest

from services.notifications.bootstrap import Notifications
from services.notifications.domain.send_record import Status
from shared import topics
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from shared.events import CloudEvent
from tests.harness import events_on, eventually
from tests.integration.notifications.conftest import (
    api,
    records,
    staff_headers,
    wait_for_records,
)
from tests.integration.notifications.events import (
    REGISTRY_SOURCE,
    erased,
    new_carer_id,
    referral,
    registered,
    send,
)

pytestmark = pytest.mark.kafka


async def _notification_events(bootstrap: str, namespace: str) -> list[dict]:
    return await events_on(bootstrap, namespace + topics.NOTIFICATIONS)


async def test_a_carer_is_emailed_once_when_referred_and_once_when_accepted(
    notifications: Notifications, smtp_sink: SmtpSink, kafka_bootstrap: str, namespace: str
) -> None:
    carer = registered()
    created = referral(carer.data["carer_id"])
    accepted = referral(
        carer.data["carer_id"], "referral.accepted", referral_id=created.data["referral_id"]
    )
    # The created event twice (a redelivery): still one email for it.
    await send(kafka_bootstrap, namespace, carer, created, created, accepted)

    rows = await wait_for_records(notifications, carer.subject or "", Status.SENT, Status.SENT)
    assert {r.template_id for r in rows} == {"referral-created", "referral-accepted"}
    assert {(r.channel, r.template_version, r.variant) for r in rows} == {("email", 1, "email")}
    mails = smtp_sink.messages()
    assert len(mails) == 2
    first = next(m for m in mails if m.message_id.startswith(rows[0].notification_id))
    assert first.rcpt_tos == ["sian@example.org"]
    assert "Hello Siân," in first.text
    assert "Voluntary Action South Leicestershire (VASL)" in first.text
    assert "not need to tell your story again" in first.text
    assert "http://carers.test/unsubscribe/" in first.text
    assert first.headers["List-Unsubscribe"].startswith("<http://carers.test/unsubscribe/")

    async def two_sent() -> list[dict] | None:
        events = await _notification_events(kafka_bootstrap, namespace)
        return events if len(events) == 2 else None

    events = await eventually(two_sent)
    assert {e["type"] for e in events} == {"notification.sent"}
    data = events[0]["data"]
    assert data["carer_id"] == carer.subject and data["channel"] == "email"
    assert data["template"]["version"] == 1 and data["referral_id"] == created.data["referral_id"]
    text = str(events)
    assert "sian@example.org" not in text and "Hello" not in text  # never contact or content


async def test_channel_choice_follows_consent_and_the_carers_order(
    notifications: Notifications,
    smtp_sink: SmtpSink,
    notify_stub: NotifyStub,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    no_consent = registered(contact=False)
    text_first = registered(channels=("sms", "email"))
    no_email = registered(channels=("email", "sms"), email=None)
    by_post = registered(channels=("post", "email"))
    nothing_usable = registered(channels=("email",), email=None)
    carers = [no_consent, text_first, no_email, by_post, nothing_usable]
    await send(
        kafka_bootstrap,
        namespace,
        *carers,
        *(referral(c.subject or "") for c in carers),
    )

    await wait_for_records(notifications, text_first.subject or "", Status.SENT)
    await wait_for_records(notifications, no_email.subject or "", Status.SENT)
    [refused] = await wait_for_records(notifications, no_consent.subject or "", Status.NOT_SENT)
    assert refused.reason == "the carer has not consented to contact"
    [task] = await wait_for_records(notifications, by_post.subject or "", Status.STAFF_TASK)
    assert task.channel == "post" and task.body and "Voluntary Action" in task.body
    [none] = await wait_for_records(notifications, nothing_usable.subject or "", Status.NOT_SENT)
    assert none.reason == "no usable contact channel"
    assert smtp_sink.messages() == []
    texts = notify_stub.notifications("sms")
    assert len(texts) == 2 and {t.recipient for t in texts} == {"07700900123"}

    async with api(notifications) as client:
        tasks = await client.get(
            "/notifications", params={"status": "staff-task"}, headers=staff_headers()
        )
    assert [t["carer_id"] for t in tasks.json()] == [by_post.subject]


async def test_a_referral_read_before_the_carers_details_waits_for_them(
    notifications: Notifications, smtp_sink: SmtpSink, kafka_bootstrap: str, namespace: str
) -> None:
    carer_id = new_carer_id()
    await send(kafka_bootstrap, namespace, referral(carer_id))
    await wait_for_records(notifications, carer_id, Status.AWAITING_CONTACT)
    assert smtp_sink.messages() == []

    await send(kafka_bootstrap, namespace, registered(carer_id, easy_read=True))
    [row] = await wait_for_records(notifications, carer_id, Status.SENT)
    assert row.variant == "email.easy-read"
    [mail] = smtp_sink.messages()
    assert "We call them VASL for short" in mail.text


async def test_erasure_removes_contact_details_and_cancels_what_has_not_gone(
    notifications: Notifications, kafka_bootstrap: str, namespace: str
) -> None:
    sent, waiting = registered(), new_carer_id()
    await send(kafka_bootstrap, namespace, sent, referral(sent.subject or ""), referral(waiting))
    await wait_for_records(notifications, sent.subject or "", Status.SENT)
    await wait_for_records(notifications, waiting, Status.AWAITING_CONTACT)

    await send(kafka_bootstrap, namespace, erased(sent.subject or ""), erased(waiting))
    [cancelled] = await wait_for_records(notifications, waiting, Status.CANCELLED)
    assert cancelled.reason == "the carer's details were erased"

    async def erased_everywhere() -> bool:
        async with notifications.unit_of_work() as uow:
            gone = await uow.contact(sent.subject or "") is None
        rows = await records(notifications, sent.subject or "")
        return gone and all(r.recipient is r.body is r.subject is None for r in rows)

    await eventually(erased_everywhere)
    [row] = await records(notifications, sent.subject or "")
    assert row.status == Status.SENT and row.template_id == "referral-created"  # still counted


async def test_a_merged_carers_messages_move_to_the_record_that_lives_on(
    notifications: Notifications, kafka_bootstrap: str, namespace: str
) -> None:
    survivor, merged = registered(), registered()
    await send(kafka_bootstrap, namespace, survivor, merged, referral(merged.subject or ""))
    await wait_for_records(notifications, merged.subject or "", Status.SENT)

    merge = CloudEvent.new(
        "carer.merged",
        REGISTRY_SOURCE,
        survivor.subject,
        {"carer_id": survivor.subject, "merged_carer_id": merged.subject},
    )
    await send(kafka_bootstrap, namespace, merge)
    [moved] = await wait_for_records(notifications, survivor.subject or "", Status.SENT)
    assert moved.event_type == "referral.created"
    async with notifications.unit_of_work() as uow:
        assert await uow.contact(merged.subject or "") is None
