"""Reporting periods: the council's financial year (April to March) and calendar months.

Why Europe/London: the council reports on its own calendar. An event at 23:59 on 31 March
(UK time) belongs to the year ending that day, one at 00:00 on 1 April to the next. Each
boundary is local midnight turned into an instant, and events are compared as instants, so
a month that starts or ends in British Summer Time keeps the right hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/London")
_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """``[start, end)`` as instants, with the label the council uses ("2025/26", "2025-04")."""

    label: str
    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL)


def year_starting(first_year: int) -> Period:
    """The financial year 1 April ``first_year`` to 31 March the year after."""
    label = f"{first_year}/{(first_year + 1) % 100:02d}"
    return Period(label, _midnight(date(first_year, 4, 1)), _midnight(date(first_year + 1, 4, 1)))


def financial_year(label: str) -> Period:
    """``"2025/26"`` -> 1 April 2025 to 31 March 2026; ValueError naming the rule otherwise."""
    found = _YEAR.match(label.strip())
    if not found:
        raise ValueError("year: must be a financial year like 2025/26")
    first = int(found.group(1))
    if (first + 1) % 100 != int(found.group(2)):
        raise ValueError("year: the second part must be the year after the first, like 2025/26")
    return year_starting(first)


def year_of(at: datetime) -> Period:
    """The financial year an instant falls in (its UK local date decides)."""
    local = at.astimezone(LOCAL).date()
    return year_starting(local.year if local.month >= 4 else local.year - 1)


def month(label: str) -> Period:
    """``"2025-04"`` -> April 2025 (UK local time)."""
    found = _MONTH.match(label.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValueError("month: must be a month like 2025-04")
    year, number = int(found.group(1)), int(found.group(2))
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return Period(label.strip(), _midnight(date(year, number, 1)), _midnight(following))


def months_of(year: Period) -> list[Period]:
    """The twelve months of a financial year, April first."""
    first = year.start.astimezone(LOCAL).date()
    labels = [f"{first.year + (m > 12)}-{(m - 1) % 12 + 1:02d}" for m in range(4, 16)]
    return [month(label) for label in labels]
