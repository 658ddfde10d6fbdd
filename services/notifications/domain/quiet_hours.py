"""Quiet hours: no text message to a carer between 21:00 and 08:00 UK time (by default).

Why: a carer's phone going off late at night, often beside the person they care for, is a
harm of its own; the message keeps until morning. Email is not held back, because it does not
wake anyone. Times are UK wall-clock times, so the window follows the clocks through British
Summer Time; the calculation is pure (the caller passes "now"), so tests choose the moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """A nightly window ``[start, end)`` in ``zone``; ``start == end`` switches it off."""

    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, start: str, end: str, zone: str = "Europe/London") -> QuietHours:
        """From "HH:MM" strings, as settings hold them."""
        return cls(time.fromisoformat(start), time.fromisoformat(end), ZoneInfo(zone))

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def is_quiet(self, moment: datetime) -> bool:
        if not self.enabled:
            return False
        local = moment.astimezone(self.zone).time()
        if self.start < self.end:  # a window inside one day, e.g. 13:00-14:00
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # across midnight

    def next_allowed(self, moment: datetime) -> datetime:
        """``moment`` itself if a text may go then, else the (UTC) end of this quiet spell."""
        if not self.is_quiet(moment):
            return moment
        local = moment.astimezone(self.zone)
        day = local.date()
        if local.time() >= self.end and self.start > self.end:
            day += timedelta(days=1)  # evening: the window ends tomorrow morning
        return datetime.combine(day, self.end, tzinfo=self.zone).astimezone(UTC)
