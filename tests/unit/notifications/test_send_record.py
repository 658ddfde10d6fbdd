"""The send record's lifecycle: each move from the statuses that allow it, and no other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.domain.send_record import ImpossibleMove, SendRecord, Status

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def record(status: str = Status.PENDING) -> SendRecord:
    return SendRecord(
        notification_id="n-1",
        idempotency_key="k-1",
        carer_id="c-1",
        event_id="e-1",
        event_type="referral.created",
        template_id="referral-created",
        channel="sms",
        status=status,
        recipient="07700900123",
        body="Hello",
    )


def test_a_message_goes_from_pending_to_delivered_owing_two_events_in_order() -> None:
    sending = record()
    sending.claim("notify", NOW)
    assert (sending.status, sending.attempts, sending.provider) == (Status.CLAIMED, 1, "notify")
    sending.record_sent("notify-1", NOW)
    assert sending.receive(Status.DELIVERED, "notify-1", NOW)
    assert (sending.status, sending.completed_at) == (Status.DELIVERED, NOW)
    assert sending.events == ["notification.sent", "notification.delivered"]


def test_a_retry_goes_back_to_pending_keeping_its_attempts() -> None:
    retried = record()
    retried.claim("notify", NOW)
    retried.retry(NOW + timedelta(seconds=5), "503", uncertain=True, now=NOW)
    assert (retried.status, retried.attempts, retried.uncertain) == (Status.PENDING, 1, True)
    assert retried.not_before == NOW + timedelta(seconds=5) and retried.events == []


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (Status.AWAITING_CONTACT, lambda r: r.claim("notify", NOW)),
        (Status.SENT, lambda r: r.claim("notify", NOW)),
        (Status.PENDING, lambda r: r.record_sent("x", NOW)),
        (Status.DELIVERED, lambda r: r.record_sent("x", NOW)),
        (Status.PENDING, lambda r: r.retry(NOW, "503", uncertain=False, now=NOW)),
        (Status.CANCELLED, lambda r: r.fail(Status.PERMANENT_FAILURE, "400", NOW)),
        (Status.SENT, lambda r: r.cancel("unsubscribed", NOW)),
        (Status.CLAIMED, lambda r: r.cancel("unsubscribed", NOW)),
        (Status.PENDING, lambda r: r.release(NOW)),
        (Status.PENDING, lambda r: r.plan(None, NOW)),
    ],
)
def test_a_move_its_status_does_not_allow_is_refused(status: str, move: object) -> None:
    impossible = record(status)
    with pytest.raises(ImpossibleMove, match=f"while {status}"):
        move(impossible)  # type: ignore[operator]
    assert impossible.status == status and impossible.events == []


def test_a_failure_must_be_a_failure_status() -> None:
    claimed = record(Status.CLAIMED)
    with pytest.raises(ValueError, match="outcome"):
        claimed.fail(Status.DELIVERED, "no", NOW)


def test_a_receipt_never_revives_a_cancelled_message_nor_overwrites_an_outcome() -> None:
    for final in (Status.CANCELLED, Status.DELIVERED, Status.PERMANENT_FAILURE):
        done = record(final)
        assert not done.receive(Status.DELIVERED, "notify-1", NOW)
        assert done.status == final and done.events == []


def test_a_receipt_that_overtakes_the_dispatcher_records_the_send_first() -> None:
    claimed = record(Status.CLAIMED)
    assert claimed.receive(Status.PERMANENT_FAILURE, "notify-1", NOW)
    assert (claimed.status, claimed.provider_reference) == (Status.PERMANENT_FAILURE, "notify-1")
    assert claimed.reason == "provider: permanent-failure"
    assert claimed.events == ["notification.sent", "notification.failed"]


def test_columns_are_the_stored_ones_without_the_owed_events() -> None:
    columns = record().columns()
    assert "events" not in columns and columns["status"] == Status.PENDING
    assert len(columns) == 26
