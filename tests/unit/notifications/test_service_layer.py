"""The notifications service layer on an in-memory unit of work: planning (consent, channels,
quiet hours), never twice, receipts racing the dispatcher. No database, no broker: fast."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from services.notifications.adapters.providers.base import (
    Accepted,
    OutgoingMessage,
    ProviderError,
)
from services.notifications.adapters.template_files import load_templates
from services.notifications.domain.model import DEFAULT_TRIGGERS
from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.retry import RetryPolicy, SendFailure
from services.notifications.domain.send_record import SendRecord, Status
from services.notifications.domain.templates import TemplateSet
from services.notifications.service_layer.dispatcher import Dispatcher
from services.notifications.service_layer.handlers import NotificationPolicy, make_handlers
from services.notifications.service_layer.reads import notifications_seen_by
from services.notifications.service_layer.receipts import apply_receipt, unsubscribe_from_email
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.auth import Principal
from shared.clock import VirtualClock
from shared.events import OUTBOUND_BODIES, CloudEvent, parse_event
from tests.integration.notifications.events import erased, new_carer_id, referral, registered
from tests.unit.notifications.fakes import FakeUnitOfWork

MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday in March: GMT
EVENING = datetime(2026, 6, 1, 21, 30, tzinfo=UTC)  # 22:30 in London (BST): quiet hours
NEXT_MORNING = datetime(2026, 6, 2, 7, 0, tzinfo=UTC)  # 08:00 in London


@pytest.fixture(scope="module")
def templates() -> TemplateSet:
    return load_templates()


Events = Callable[..., Any]


@pytest.fixture
def service(templates: TemplateSet) -> Callable[[datetime], tuple[FakeUnitOfWork, Events]]:
    """(a fake unit of work, ``handle(*events)``) with the clock at a given moment."""

    def make(moment: datetime = MORNING) -> tuple[FakeUnitOfWork, Events]:
        policy = NotificationPolicy(
            templates=templates,
            quiet_hours=QuietHours.parse("21:00", "08:00"),
            clock=VirtualClock(moment),
            triggers=DEFAULT_TRIGGERS,
            help_phone="0116 496 0000",
            sender="Leicestershire County Council",
            public_url="https://carers.example",
            unsubscribe_secret="secret",
        )
        handlers, batch = make_handlers(policy)
        fake = FakeUnitOfWork()

        async def handle(*events: CloudEvent) -> None:
            """Each event in its own transaction, as the processor's batches would be."""
            for event in events:
                envelope, body = parse_event(event.to_bytes(), OUTBOUND_BODIES)
                async with fake as uow:
                    real = cast(NotificationsUnitOfWork, uow)
                    if envelope.type in batch:
                        await batch[envelope.type]([(envelope, body)], real)
                    else:
                        await handlers[envelope.type](envelope, body, real)
                    await uow.commit()

        return fake, handle

    return make


def only(fake: FakeUnitOfWork) -> SendRecord:
    [record] = fake.records.values()
    return record


# -- planning: consent, channels, quiet hours ------------------------------------------------


async def test_a_carer_who_did_not_consent_to_contact_is_not_sent_anything(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer, contact=False), referral(carer))
    record = only(fake)
    assert record.status == Status.NOT_SENT
    assert record.reason == "the carer has not consented to contact"
    assert record.recipient is None and record.body is None
    assert fake.wakes == 0  # nothing for the dispatcher


async def test_the_first_usable_channel_in_the_carers_order_is_chosen(service: Any) -> None:
    fake, handle = service()
    no_email, texts_first = new_carer_id(), new_carer_id()
    await handle(
        registered(no_email, channels=("email", "sms"), email=None),
        registered(texts_first, channels=("sms", "email")),
        referral(no_email),
        referral(texts_first),
    )
    by_carer = {r.carer_id: r for r in fake.records.values()}
    assert (by_carer[no_email].channel, by_carer[no_email].recipient) == ("sms", "07700900123")
    assert by_carer[texts_first].channel == "sms"
    assert all(r.status == Status.PENDING for r in by_carer.values())
    assert fake.wakes == 2  # each commit that made a message ready woke the dispatcher


async def test_a_carer_who_asked_for_letters_becomes_a_task_for_staff(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer, channels=("post",)), referral(carer))
    record = only(fake)
    assert (record.status, record.channel) == (Status.STAFF_TASK, "post")
    assert record.body and "unsubscribe" not in record.body.lower()


async def test_a_text_decided_in_quiet_hours_waits_until_morning_and_an_email_does_not(
    service: Any,
) -> None:
    fake, handle = service(EVENING)
    texted, emailed = new_carer_id(), new_carer_id()
    await handle(
        registered(texted, channels=("sms",)),
        registered(emailed, channels=("email",)),
        referral(texted),
        referral(emailed),
    )
    by_carer = {r.carer_id: r for r in fake.records.values()}
    assert by_carer[texted].not_before == NEXT_MORNING
    assert by_carer[emailed].not_before == EVENING


async def test_a_referral_read_before_the_carers_details_waits_and_is_planned_when_they_come(
    service: Any,
) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(referral(carer))
    assert only(fake).status == Status.AWAITING_CONTACT
    await handle(registered(carer, channels=("email",)))
    record = only(fake)
    assert (record.status, record.recipient) == (Status.PENDING, "sian@example.org")
    assert record.template_version >= 1 and record.body and "Siân" in record.body


async def test_withdrawing_consent_cancels_what_has_not_gone(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer), referral(carer))
    await handle(registered(carer, contact=False, event_type="carer.updated"))
    record = only(fake)
    assert (record.status, record.reason) == (
        Status.CANCELLED,
        "the carer withdrew consent to contact",
    )


async def test_erasure_cancels_unsent_messages_and_clears_their_text(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer), referral(carer), erased(carer))
    record = only(fake)
    assert record.status == Status.CANCELLED
    assert (record.recipient, record.subject, record.body) == (None, None, None)
    assert carer not in fake.contact_details


# -- never twice ---------------------------------------------------------------------------------


async def test_a_repeated_event_plans_nothing_new(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    event = referral(carer)
    await handle(registered(carer), event, event)
    await handle(event)
    assert len(fake.records) == 1


async def test_two_referrals_for_one_carer_are_two_messages(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer), referral(carer), referral(carer, "referral.accepted"))
    assert sorted(r.template_id for r in fake.records.values()) == [
        "referral-accepted",
        "referral-created",
    ]


class Provider:
    """A provider that accepts everything (or fails as told), counting each send."""

    name = "notify"
    unknown_outcome = "resend"

    def __init__(self, failure: SendFailure | None = None) -> None:
        self.sent: list[OutgoingMessage] = []
        self.failure = failure
        self.during_send: Callable[[OutgoingMessage], Any] | None = None

    async def send(self, message: OutgoingMessage) -> Accepted:
        if self.during_send is not None:
            await self.during_send(message)
        if self.failure is not None:
            raise ProviderError(self.failure)
        self.sent.append(message)
        return Accepted(provider_id=f"provider-{len(self.sent)}")

    async def lookup(self, message: OutgoingMessage) -> Accepted | None:
        found = [m for m in self.sent if m.notification_id == message.notification_id]
        return Accepted(provider_id="found") if found else None

    async def close(self) -> None:
        pass


def dispatcher(fake: FakeUnitOfWork, provider: Provider, clock: VirtualClock) -> Dispatcher:
    return Dispatcher(
        cast(Callable[[], NotificationsUnitOfWork], fake),
        {"email": provider, "sms": provider},  # type: ignore[dict-item]
        clock,
        quiet_hours=QuietHours.parse("21:00", "08:00"),
        unsubscribe_url=lambda carer: f"https://carers.example/unsubscribe/{carer}",
        retry=RetryPolicy(max_attempts=2, base_seconds=5, cap_seconds=60),
        rand=lambda: 0.0,
    )


async def test_a_message_is_sent_once_however_often_the_dispatcher_looks(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer), referral(carer))
    provider = Provider()
    sending = dispatcher(fake, provider, VirtualClock(MORNING))
    assert await sending.dispatch_once() == 1
    assert await sending.dispatch_once() == 0
    assert len(provider.sent) == 1
    record = only(fake)
    assert (record.status, record.attempts) == (Status.SENT, 1)
    assert fake.event_types() == ["notification.sent"]


async def test_a_send_interrupted_by_a_restart_is_looked_up_not_sent_again(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer), referral(carer))
    provider = Provider()
    sending = dispatcher(fake, provider, VirtualClock(MORNING))
    await sending.dispatch_once()
    async with fake as uow:  # as if the process died before recording the send
        uow.sends.rows[only(fake).notification_id].status = Status.CLAIMED
        await uow.commit()
    assert await sending.recover() == 1
    assert only(fake).uncertain
    await sending.dispatch_once()
    assert len(provider.sent) == 1
    assert only(fake).status == Status.SENT


async def test_a_retryable_failure_waits_and_then_gives_up_as_a_technical_failure(
    service: Any,
) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer), referral(carer))
    clock = VirtualClock(MORNING)
    provider = Provider(SendFailure("503: try later", retryable=True, uncertain=True))
    sending = dispatcher(fake, provider, clock)
    await sending.dispatch_once()
    record = only(fake)
    assert (record.status, record.uncertain) == (Status.PENDING, True)
    assert record.not_before == MORNING + timedelta(seconds=2.5)  # half of 5 s, no jitter
    assert await sending.dispatch_once() == 0  # not yet
    clock.advance(3)
    await sending.dispatch_once()
    record = only(fake)
    assert record.status == Status.TECHNICAL_FAILURE
    assert record.reason and record.reason.startswith("gave up after 2 attempts")
    assert fake.event_types() == ["notification.failed"]


async def test_a_permanent_failure_is_published_once_and_not_retried(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer), referral(carer))
    provider = Provider(SendFailure("400: bad number", retryable=False))
    sending = dispatcher(fake, provider, VirtualClock(MORNING))
    await sending.dispatch_once()
    assert await sending.dispatch_once() == 0
    assert only(fake).status == Status.PERMANENT_FAILURE
    assert fake.event_types() == ["notification.failed"]


# -- receipts --------------------------------------------------------------------------------


async def test_a_receipt_that_overtakes_the_dispatcher_records_the_send_once(
    service: Any,
) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer), referral(carer))
    provider = Provider()

    async def receipt_first(message: OutgoingMessage) -> None:
        """The provider calls back before the dispatcher has recorded the send."""
        async with fake as uow:
            found = await apply_receipt(
                cast(NotificationsUnitOfWork, uow),
                reference=message.notification_id,
                provider_id="provider-1",
                reported=Status.DELIVERED,
                now=MORNING,
            )
            assert found

    provider.during_send = receipt_first
    await dispatcher(fake, provider, VirtualClock(MORNING)).dispatch_once()
    record = only(fake)
    assert (record.status, record.provider_reference) == (Status.DELIVERED, "provider-1")
    assert fake.event_types() == ["notification.sent", "notification.delivered"]


async def test_a_repeated_or_stale_receipt_changes_nothing(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer), referral(carer))
    await dispatcher(fake, Provider(), VirtualClock(MORNING)).dispatch_once()
    notification_id = only(fake).notification_id
    for reported in (Status.DELIVERED, Status.DELIVERED, Status.SENDING, Status.PERMANENT_FAILURE):
        async with fake as uow:
            await apply_receipt(
                cast(NotificationsUnitOfWork, uow),
                reference=None,
                provider_id="provider-1",
                reported=reported,
                now=MORNING,
            )
    assert only(fake).status == Status.DELIVERED
    assert fake.event_types(notification_id) == ["notification.sent", "notification.delivered"]


async def test_a_receipt_for_a_message_that_is_not_ours_is_not_found() -> None:
    fake = FakeUnitOfWork()
    async with fake as uow:
        found = await apply_receipt(
            cast(NotificationsUnitOfWork, uow),
            reference="nobody",
            provider_id="nothing",
            reported=Status.DELIVERED,
            now=MORNING,
        )
    assert not found and fake.published == []


async def test_unsubscribing_cancels_pending_emails_but_not_texts(service: Any) -> None:
    fake, handle = service()
    carer = new_carer_id()
    await handle(registered(carer, channels=("email",)), referral(carer))
    await handle(registered(carer, channels=("sms",), event_type="carer.updated"))
    await handle(referral(carer, "referral.accepted"))
    async with fake as uow:
        assert await unsubscribe_from_email(cast(NotificationsUnitOfWork, uow), carer, MORNING)
    by_channel = {r.channel: r.status for r in fake.records.values()}
    assert by_channel == {"email": Status.CANCELLED, "sms": Status.PENDING}
    assert fake.contact_details[carer].email_opted_out


async def test_every_staff_read_is_audited() -> None:
    fake = FakeUnitOfWork()
    staff = Principal(subject="officer-1", role="council", org="LCC")
    await notifications_seen_by(cast(NotificationsUnitOfWork, fake), staff, carer_id="c-1")
    await notifications_seen_by(cast(NotificationsUnitOfWork, fake), staff, status="staff-task")
    assert [(r["action"], r["carer_id"]) for r in fake.read_audit.reads] == [
        ("list_for_carer", "c-1"),
        ("list_by_status", None),
    ]
