"""Working days: weekends and England and Wales bank holidays excluded, in local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.referrals.domain.working_days import (
    WorkingCalendar,
    add_working_days,
    due_by,
    england_and_wales,
    is_past,
    local_date,
    working_days_between,
)

CAL = england_and_wales()


def test_five_working_days_from_a_monday_is_the_next_monday() -> None:
    assert add_working_days(date(2026, 3, 2), 5, CAL) == date(2026, 3, 9)


def test_weekends_do_not_count() -> None:
    assert add_working_days(date(2026, 3, 6), 1, CAL) == date(2026, 3, 9)  # Friday -> Monday
    assert add_working_days(date(2026, 3, 7), 1, CAL) == date(2026, 3, 9)  # Saturday


def test_good_friday_and_easter_monday_do_not_count() -> None:
    # Thursday 2 April 2026: Fri 3 and Mon 6 April are bank holidays.
    assert add_working_days(date(2026, 4, 2), 5, CAL) == date(2026, 4, 13)


def test_christmas_with_boxing_day_observed_on_a_monday() -> None:
    # 2026: Christmas Friday, Boxing Day Saturday, observed Monday 28 December.
    assert add_working_days(date(2026, 12, 24), 1, CAL) == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 24), 5, CAL) == date(2027, 1, 5)  # 1 Jan too


def test_the_calendar_knows_one_off_bank_holidays() -> None:
    assert not CAL.is_working_day(date(2023, 5, 8))  # the coronation of King Charles III
    assert not CAL.is_working_day(date(2022, 9, 19))  # the state funeral of Queen Elizabeth II


def test_scottish_only_holidays_are_working_days_in_england() -> None:
    assert CAL.is_working_day(date(2026, 1, 2))  # 2 January: Scotland only
    assert CAL.is_working_day(date(2026, 11, 30))  # St Andrew's Day


def test_an_injected_calendar_is_honoured() -> None:
    closed = WorkingCalendar(frozenset({date(2026, 3, 3)}))
    assert add_working_days(date(2026, 3, 2), 1, closed) == date(2026, 3, 4)


def test_the_day_of_arrival_is_the_local_date() -> None:
    # 23:30 UTC on Sunday 29 March 2026 is 00:30 BST on Monday 30 March.
    late = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    assert local_date(late) == date(2026, 3, 30)
    assert due_by(late, 5, CAL) == date(2026, 4, 8)  # Good Friday 3, Easter Monday 6 skipped


def test_overdue_begins_at_local_midnight_after_the_due_date() -> None:
    due = date(2026, 4, 13)
    bst = timezone(timedelta(hours=1))
    assert not is_past(due, datetime(2026, 4, 13, 23, 59, tzinfo=bst))
    assert is_past(due, datetime(2026, 4, 14, 0, 0, tzinfo=bst))  # 23:00 UTC on the 13th
    assert is_past(due, datetime(2026, 4, 13, 23, 0, tzinfo=UTC))


def test_a_naive_time_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="timezone"):
        local_date(datetime(2026, 3, 2, 9, 0))


def test_working_days_between_counts_what_add_working_days_adds() -> None:
    start = date(2026, 4, 2)
    for days in range(0, 12):
        assert working_days_between(start, add_working_days(start, days, CAL), CAL) == days
