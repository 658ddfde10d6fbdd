"""The service's sense of "now", injectable so tests can stand either side of a deadline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class VirtualClock:
    """A clock a test sets and moves; calling it tells the time like ``system_clock``."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("give the virtual clock a timezone-aware time")
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
