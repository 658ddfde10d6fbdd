"""Texts wait for morning: 21:00-08:00 UK time, through the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notifications.domain.quiet_hours import QuietHours

UK = QuietHours.parse("21:00", "08:00")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        ("2026-01-12 12:00", "2026-01-12 12:00"),  # midday in winter: now
        ("2026-01-12 20:59", "2026-01-12 20:59"),  # just before quiet hours
        ("2026-01-12 21:00", "2026-01-13 08:00"),  # GMT evening: next morning
        ("2026-01-13 03:00", "2026-01-13 08:00"),  # small hours: this morning
        ("2026-01-13 08:00", "2026-01-13 08:00"),  # 08:00 exactly: allowed
        ("2026-06-15 19:59", "2026-06-15 19:59"),  # 20:59 BST
        ("2026-06-15 20:00", "2026-06-16 07:00"),  # 21:00 BST -> 08:00 BST (07:00 UTC)
        ("2026-03-28 22:00", "2026-03-29 07:00"),  # GMT night before the clocks go forward
        ("2026-10-24 21:00", "2026-10-25 08:00"),  # BST night before the clocks go back
    ],
)
def test_a_text_waits_until_eight_in_the_morning_uk_time(moment: str, allowed: str) -> None:
    assert UK.next_allowed(utc(moment)) == utc(allowed)


def test_equal_start_and_end_switch_quiet_hours_off() -> None:
    off = QuietHours.parse("00:00", "00:00")
    assert not off.enabled and off.next_allowed(utc("2026-01-12 23:00")) == utc("2026-01-12 23:00")


def test_a_window_inside_one_day_works_too() -> None:
    lunch = QuietHours.parse("13:00", "14:00")
    assert lunch.next_allowed(utc("2026-01-12 13:30")) == utc("2026-01-12 14:00")
    assert not lunch.is_quiet(utc("2026-01-12 14:00"))
