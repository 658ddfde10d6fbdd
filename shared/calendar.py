"""Working days: weekends and England and Wales bank holidays excluded (shared calendar).

Shared because two services count working days: referrals (a referral must be accepted in
time) and monitoring (days from referral to acceptance, the council's service-level figure).
One calendar means both count the same days; it moved here from the referrals domain.

A referral must be accepted within N working days (``REFERRALS_OVERDUE_DAYS``, default 5).
Days are counted in Leicestershire's local time (Europe/London), because "the day a referral
arrived" is the day on a caseworker's calendar, not in UTC: a referral arriving at 23:30 UTC
on a summer Sunday arrived on Monday morning in Leicestershire.

    due_by(arrived)  = the Nth working day after the local date it arrived
    overdue at ``now`` when the local date of ``now`` is after ``due_by`` and it is still
    waiting to be accepted

So a referral arriving on Monday 2 March 2026 with N = 5 is due by Monday 9 March and overdue
from the first minute of Tuesday 10 March. One arriving on Thursday 2 April 2026 skips Good
Friday and Easter Monday: due by Monday 13 April.

Pure: the calendar is a value passed in (``england_and_wales()`` by default, from the
maintained ``holidays`` package), and "now" always comes from the caller's clock.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class WorkingCalendar:
    """Monday to Friday, less the given holidays."""

    holidays: Container[date]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays


@lru_cache(maxsize=1)
def england_and_wales() -> WorkingCalendar:
    """England and Wales bank holidays (``holidays.UK(subdiv="ENG")``: the same list for
    both nations), including one-off ones such as a coronation; years expand on demand."""
    import holidays

    return WorkingCalendar(holidays.UK(subdiv="ENG"))  # type: ignore[attr-defined]


def local_date(at: datetime) -> date:
    """The date in Leicestershire at the instant ``at`` (which must be timezone-aware)."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no place on the calendar: give a timezone")
    return at.astimezone(LOCAL).date()


def add_working_days(start: date, days: int, calendar: WorkingCalendar) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def due_by(arrived: datetime, days: int, calendar: WorkingCalendar) -> date:
    """The last local date on which a referral arriving at ``arrived`` is still on time."""
    return add_working_days(local_date(arrived), days, calendar)


def is_past(due: date, now: datetime) -> bool:
    """Whether ``now`` (local time) is on a date after ``due``."""
    return local_date(now) > due


def working_days_between(start: date, end: date, calendar: WorkingCalendar) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count
