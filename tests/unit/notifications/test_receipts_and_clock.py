"""Delivery receipts never count twice; the virtual clock moves as a simulation would."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from services.notifications.domain.send_record import Status, Transition, receipt_transition
from shared.clock import VirtualClock


def test_a_receipt_after_the_send_was_recorded_publishes_only_the_outcome() -> None:
    assert receipt_transition(Status.SENT, "delivered") == Transition(
        "delivered", ("notification.delivered",)
    )
    assert receipt_transition(Status.SENT, "sending") == Transition("sending")
    assert receipt_transition(Status.SENDING, "permanent-failure") == Transition(
        "permanent-failure", ("notification.failed",)
    )


def test_a_receipt_that_overtakes_the_dispatcher_records_the_send_first() -> None:
    assert receipt_transition(Status.CLAIMED, "delivered") == Transition(
        "delivered", ("notification.sent", "notification.delivered")
    )


def test_a_repeated_or_late_receipt_changes_nothing() -> None:
    assert receipt_transition(Status.DELIVERED, "delivered") == Transition(None)
    assert receipt_transition(Status.DELIVERED, "sending") == Transition(None)
    assert receipt_transition(Status.PERMANENT_FAILURE, "delivered") == Transition(None)


def test_an_unknown_receipt_status_is_refused() -> None:
    with pytest.raises(ValueError, match="not a delivery status"):
        receipt_transition(Status.SENT, "lost")


async def test_virtual_sleepers_wake_in_order_and_time_waits_for_requests_on_the_wire() -> None:
    clock = VirtualClock(datetime(2026, 3, 2, 10, tzinfo=UTC))
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic()))

    with clock.hold():  # a request in flight: nobody may wake yet
        tasks = [asyncio.create_task(sleeper(n, s)) for n, s in [("b", 2), ("a", 1), ("c", 3)]]
        await asyncio.sleep(0.01)
        assert woke == [] and clock.monotonic() == 0
    await asyncio.gather(*tasks)
    assert woke == [("a", 1), ("b", 2), ("c", 3)]
    assert clock.now() == datetime(2026, 3, 2, 10, 0, 3, tzinfo=UTC)
