"""The working-day calendar the referrals domain uses: it lives in :mod:`shared.calendar`,
shared with the monitoring read model so both count the same days (re-exported here so the
referrals code keeps naming it from its own domain)."""

from shared.calendar import (
    LOCAL,
    WorkingCalendar,
    add_working_days,
    due_by,
    england_and_wales,
    is_past,
    local_date,
    working_days_between,
)

__all__ = [
    "LOCAL",
    "WorkingCalendar",
    "add_working_days",
    "due_by",
    "england_and_wales",
    "is_past",
    "local_date",
    "working_days_between",
]
