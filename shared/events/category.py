"""A carer's category from their age (contract section 3).

Under 18 is a young carer, 18 to 25 inclusive a young adult carer, otherwise an adult carer.
The category decides which team a referral goes to, so birthday arithmetic has to be exact:
a person's age goes up on their birthday, not the day after, and someone born on 29 February
has their birthday on 1 March in a non-leap year (the UK legal convention).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args
from zoneinfo import ZoneInfo

Category = Literal["young_carer", "young_adult_carer", "adult_carer"]
CATEGORIES: tuple[str, ...] = get_args(Category)

_UK = ZoneInfo("Europe/London")


def uk_date(at: date | datetime) -> date:
    """The calendar date in the UK at ``at``; a plain date is returned unchanged.

    An event stamped 23:30 UTC on a summer evening is already the next day in the UK, and that
    can be a birthday. A naive datetime is taken to be UK local time.
    """
    if isinstance(at, datetime):
        if at.tzinfo is None:
            return at.date()
        return at.astimezone(_UK).date()
    return at


def age_on(date_of_birth: date, at: date | datetime) -> int:
    """Completed years of age on ``at`` (a datetime is converted to the UK date first).

    Comparing (month, day) tuples puts a 29 February birthday after 28 February, so in a
    non-leap year the age increases on 1 March.
    """
    on = uk_date(at)
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def carer_category(date_of_birth: date, at: date | datetime) -> Category:
    """``young_carer`` under 18, ``young_adult_carer`` 18-25 inclusive, else ``adult_carer``."""
    age = age_on(date_of_birth, at)
    if age < 18:
        return "young_carer"
    if age <= 25:
        return "young_adult_carer"
    return "adult_carer"
