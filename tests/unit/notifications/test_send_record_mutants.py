"""The send record, move by move: every column each move sets, and every move's edges (issue 18,
mutation testing). ``test_send_record.py`` states the lifecycle; these pin what each move
writes (times, reasons, the ``uncertain`` flag), what a receipt does from each status, and the
never-twice key, so a changed assignment or a swapped branch fails a test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.notifications.domain.planning import Composed, Plan
from services.notifications.domain.send_record import (
    EVENT_FOR_STATUS,
    WAITING_REASON,
    ImpossibleMove,
    SendRecord,
    Status,
    Transition,
    idempotency_key,
    receipt_transition,
)
from services.notifications.domain.templates import Template

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def record(status: str = Status.PENDING, **columns: Any) -> SendRecord:
    return SendRecord(
        notification_id="n-1",
        idempotency_key="k-1",
        carer_id="c-1",
        event_id="e-1",
        event_type="referral.created",
        template_id="referral-created",
        status=status,
        **columns,
    )


def claimed(**columns: Any) -> SendRecord:
    one = record(**columns)
    one.claim("notify", NOW)
    return one


def test_the_never_twice_key_is_a_stable_hash_of_event_template_and_recipient() -> None:
    """Stored with every record: a different formula after an upgrade would resend."""
    assert idempotency_key("e-1", "referral-created", "c-1") == (
        "51e33a24d8f269033092f58eb8b70cefc655df03cc8990d55326216fd2580dfd"
    )
    keys = {
        idempotency_key("e-1", "t", "c-1"),
        idempotency_key("e-2", "t", "c-1"),
        idempotency_key("e-1", "u", "c-1"),
        idempotency_key("e-1", "t", "c-2"),
    }
    assert len(keys) == 4


def test_the_status_words_are_the_stored_and_shown_ones() -> None:
    assert (Status.AWAITING_CONTACT, Status.NOT_SENT, Status.STAFF_TASK) == (
        "awaiting-contact",
        "not-sent",
        "staff-task",
    )
    assert (Status.PENDING, Status.CLAIMED, Status.SENT, Status.SENDING) == (
        "pending",
        "claimed",
        "sent",
        "sending",
    )
    assert {"permanent-failure", "temporary-failure", "technical-failure"} == Status.FAILURES
    assert (Status.DELIVERED, Status.CANCELLED) == ("delivered", "cancelled")
    assert {"awaiting-contact", "pending"} == Status.UNSENT
    assert EVENT_FOR_STATUS == {
        "sent": "notification.sent",
        "delivered": "notification.delivered",
        "permanent-failure": "notification.failed",
        "temporary-failure": "notification.failed",
        "technical-failure": "notification.failed",
    }


def test_a_new_record_waits_for_the_carers_contact_details() -> None:
    new = record(Status.AWAITING_CONTACT)
    assert (new.status, new.reason, new.channel) == ("awaiting-contact", WAITING_REASON, "none")
    assert WAITING_REASON == "waiting for the carer's contact details"
    assert (new.attempts, new.uncertain, new.context, new.template_version) == (0, False, "{}", 0)
    assert not new.ready and record(Status.PENDING).ready


def test_planning_a_message_records_its_words_recipient_and_time() -> None:
    template = Template("referral-created", 4, "email", "cy", True, "Helo", "Pwnc")
    plan = Plan(
        Status.PENDING,
        "email",
        composed=Composed(template, "Pwnc", "Helo Siân"),
        recipient="s@example.org",
        not_before=LATER,
    )
    planned = record(Status.AWAITING_CONTACT)
    planned.plan(plan, NOW)
    assert (planned.status, planned.channel, planned.reason) == ("pending", "email", None)
    assert (planned.recipient, planned.not_before, planned.updated_at) == (
        "s@example.org",
        LATER,
        NOW,
    )
    assert (planned.template_version, planned.variant, planned.language) == (
        4,
        "email.easy-read",
        "cy",
    )
    assert (planned.subject, planned.body) == ("Pwnc", "Helo Siân")
    assert planned.events == []


def test_planning_nothing_to_send_records_the_reason_and_no_words() -> None:
    planned = record(Status.AWAITING_CONTACT)
    planned.plan(Plan(Status.NOT_SENT, "none", reason="no usable contact channel"), NOW)
    assert (planned.status, planned.reason) == ("not-sent", "no usable contact channel")
    assert (planned.subject, planned.body, planned.variant, planned.template_version) == (
        None,
        None,
        None,
        0,
    )


def test_claiming_names_the_provider_and_counts_an_attempt() -> None:
    again = record(attempts=2)
    again.claim("smtp", NOW)
    assert (again.status, again.provider, again.attempts, again.updated_at) == (
        "claimed",
        "smtp",
        3,
        NOW,
    )


def test_recording_the_send_clears_doubt_and_reason_and_stamps_the_time() -> None:
    sent = claimed(uncertain=True, reason="503: try later")
    sent.record_sent("notify-9", LATER)
    assert (sent.status, sent.provider_reference, sent.uncertain, sent.reason) == (
        "sent",
        "notify-9",
        False,
        None,
    )
    assert (sent.sent_at, sent.updated_at, sent.completed_at) == (LATER, LATER, None)
    assert sent.events == ["notification.sent"]


def test_a_retry_keeps_the_reason_and_may_be_certain() -> None:
    retried = claimed()
    retried.retry(LATER, "429 rate limited", uncertain=False, now=NOW)
    assert (retried.status, retried.reason, retried.uncertain) == (
        "pending",
        "429 rate limited",
        False,
    )
    assert (retried.not_before, retried.updated_at) == (LATER, NOW)


def test_failing_records_the_outcome_reason_and_completion() -> None:
    failed = claimed()
    failed.fail(Status.TECHNICAL_FAILURE, "gave up after 10 tries", LATER)
    assert (failed.status, failed.reason) == ("technical-failure", "gave up after 10 tries")
    assert (failed.completed_at, failed.updated_at) == (LATER, LATER)
    assert failed.events == ["notification.failed"]


def test_a_failure_outcome_is_checked_before_the_status() -> None:
    with pytest.raises(ValueError, match="outcome: 'sent' is not a failure status"):
        record(Status.PENDING).fail(Status.SENT, "no", NOW)


def test_a_release_makes_it_pending_and_uncertain() -> None:
    released = claimed()
    released.release(LATER)
    assert (released.status, released.uncertain, released.updated_at) == ("pending", True, LATER)


def test_cancelling_is_allowed_while_unsent_and_records_why() -> None:
    for unsent in (Status.AWAITING_CONTACT, Status.PENDING):
        cancelled = record(unsent)
        cancelled.cancel("the carer unsubscribed", NOW)
        assert (cancelled.status, cancelled.reason, cancelled.updated_at) == (
            "cancelled",
            "the carer unsubscribed",
            NOW,
        )
        assert cancelled.events == []


def test_a_refused_move_names_the_move_the_record_and_its_status() -> None:
    with pytest.raises(ImpossibleMove) as refused:
        record(Status.SENT).cancel("erased", NOW)
    assert str(refused.value) == "status: cannot cancel notification n-1 while sent"
    with pytest.raises(ImpossibleMove, match=r"^status: cannot claim notification n-1 while"):
        record(Status.CLAIMED).claim("notify", NOW)
    with pytest.raises(ImpossibleMove, match="cannot record as sent"):
        record(Status.SENT).record_sent("x", NOW)
    with pytest.raises(ImpossibleMove, match="cannot retry"):
        record(Status.SENT).retry(NOW, "x", uncertain=False, now=NOW)
    with pytest.raises(ImpossibleMove, match="cannot fail"):
        record(Status.SENT).fail(Status.PERMANENT_FAILURE, "x", NOW)
    with pytest.raises(ImpossibleMove, match="cannot release"):
        record(Status.SENT).release(NOW)
    with pytest.raises(ImpossibleMove, match="cannot plan"):
        record(Status.PENDING).plan(Plan(Status.NOT_SENT, "none"), NOW)


def test_a_delivery_receipt_after_the_send_completes_it_with_no_reason() -> None:
    sent = claimed(reason="old")
    sent.record_sent("notify-1", NOW)
    sent.events.clear()
    assert sent.receive(Status.DELIVERED, None, LATER)
    assert (sent.status, sent.reason, sent.completed_at, sent.updated_at) == (
        "delivered",
        None,
        LATER,
        LATER,
    )
    assert (sent.provider_reference, sent.sent_at) == ("notify-1", NOW), "the send stands"
    assert sent.events == ["notification.delivered"]


def test_a_sending_receipt_is_not_an_outcome() -> None:
    sent = claimed()
    sent.record_sent("notify-1", NOW)
    assert sent.receive(Status.SENDING, "notify-1", LATER)
    assert (sent.status, sent.completed_at, sent.reason) == ("sending", None, None)
    assert sent.events == ["notification.sent"], "no event for 'on its way'"
    assert not sent.receive(Status.SENDING, "notify-1", LATER), "a repeat changes nothing"
    assert sent.receive(Status.TEMPORARY_FAILURE, None, LATER)
    assert (sent.status, sent.reason) == ("temporary-failure", "provider: temporary-failure")
    assert sent.events[-1] == "notification.failed"


def test_a_receipt_overtaking_the_dispatcher_keeps_a_known_reference_and_clears_doubt() -> None:
    overtaken = claimed(uncertain=True, provider_reference="notify-1")
    assert overtaken.receive(Status.SENDING, None, LATER)
    assert (overtaken.provider_reference, overtaken.sent_at, overtaken.uncertain) == (
        "notify-1",
        LATER,
        False,
    )
    assert overtaken.events == ["notification.sent"]
    assert overtaken.completed_at is None


def test_a_receipt_for_a_pending_retry_records_the_send_and_the_outcome() -> None:
    pending = record(Status.PENDING, uncertain=True)
    assert pending.receive(Status.DELIVERED, "notify-2", LATER)
    assert (pending.status, pending.provider_reference, pending.uncertain) == (
        "delivered",
        "notify-2",
        False,
    )
    assert pending.events == ["notification.sent", "notification.delivered"]


def test_a_receipt_before_any_plan_changes_nothing() -> None:
    waiting = record(Status.AWAITING_CONTACT)
    assert receipt_transition(Status.AWAITING_CONTACT, "delivered") == Transition(None)
    assert not waiting.receive(Status.DELIVERED, "notify-1", NOW)
    assert waiting.status == "awaiting-contact" and waiting.events == []


@pytest.mark.parametrize("final", sorted(Status.FINAL))
def test_no_receipt_moves_a_final_record(final: str) -> None:
    for reported in sorted(Status.RECEIPTS):
        assert receipt_transition(final, reported) == Transition(None)


def test_a_pending_record_overtaken_by_a_sending_receipt_owes_only_the_send() -> None:
    assert receipt_transition(Status.PENDING, "sending") == Transition(
        "sending", ("notification.sent",)
    )
    assert receipt_transition(Status.SENDING, "sending") == Transition(None)
    assert receipt_transition(Status.SENDING, "delivered") == Transition(
        "delivered", ("notification.delivered",)
    )


def test_an_unknown_receipt_names_the_status_it_was_given() -> None:
    with pytest.raises(ValueError, match=r"^status: 'sent' is not a delivery status$"):
        receipt_transition(Status.CLAIMED, "sent")


def test_a_transition_owes_no_events_unless_told() -> None:
    assert Transition("sending").events == ()


def test_columns_name_every_stored_column_with_its_value() -> None:
    columns = record(Status.CANCELLED, reason="erased").columns()
    assert columns["notification_id"] == "n-1" and columns["reason"] == "erased"
    assert set(columns) == {
        "notification_id", "idempotency_key", "carer_id", "event_id", "event_type",
        "template_id", "referral_id", "context", "template_version", "variant", "language",
        "channel", "status", "reason", "recipient", "subject", "body", "not_before",
        "attempts", "uncertain", "provider", "provider_reference", "created_at",
        "updated_at", "sent_at", "completed_at",
    }  # fmt: skip
