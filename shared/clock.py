"""Clocks for every service: the system's, and a virtual one tests and benchmarks move.

Why injectable: quiet hours depend on the time of day, retries on waiting, and the rate
limit on a minute passing. With :class:`VirtualClock` a test can be at 22:30 on a summer's
night, or push 10,000 messages through a 3,000-a-minute limit, without waiting for either.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import mmap
import struct
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """What the service asks of time."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (rate limiting)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """Mark a paced request on the wire. Real time cannot be held, so this only matters
        to a virtual clock: it must not jump ahead while a request is in flight, or the
        provider would see it later than it was paced for."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def hold(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class VirtualClock:
    """Time that moves only when told to (:meth:`advance`, :meth:`set`) or when a sleeper's
    turn comes: sleepers wake one at a time in order of wake-up time, as a discrete-event
    simulation would, and only while fewer than ``in_flight`` requests hold the clock.

    With ``in_flight=1`` a request reaches the provider at exactly the time it was paced
    for. A larger value lets requests overlap (faster tests) at a bounded cost: at most
    ``in_flight - 1`` requests can arrive later than paced, so a provider counting over any
    window sees at most that many more than the pacer allowed. One event loop; other threads
    may read :meth:`monotonic` (a server stub on a thread timestamps requests with it).
    """

    def __init__(self, start: datetime, *, in_flight: int = 1, share: Path | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("start: give a timezone-aware time")
        self._in_flight = in_flight
        self._start = start.astimezone(UTC)
        self._shared: mmap.mmap | None = None
        if share is not None:  # another process reads the time here: 8 bytes, a double
            share.write_bytes(struct.pack("d", 0.0))
            with share.open("r+b") as file:
                self._shared = mmap.mmap(file.fileno(), 8)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._held = 0
        self._waking = False  # a sleeper was woken and has not run yet

    @property
    def _elapsed(self) -> float:
        return self.__elapsed

    @_elapsed.setter
    def _elapsed(self, value: float) -> None:
        self.__elapsed = value
        if self._shared is not None:
            struct.pack_into("d", self._shared, 0, value)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    def advance(self, seconds: float) -> None:
        self._elapsed += seconds

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (never backwards: a monotonic clock cannot)."""
        self._elapsed = max(self._elapsed, (moment - self._start).total_seconds())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._order), woken))
        self._schedule_release()
        try:
            await woken
        except asyncio.CancelledError:
            self._sleepers = [s for s in self._sleepers if s[2] is not woken]
            heapq.heapify(self._sleepers)
            raise
        finally:
            if woken.done():
                # Our turn is taken. The next sleeper may go once this task has run on (and
                # perhaps taken a hold): the release below is queued behind this step.
                self._waking = False
                self._schedule_release()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            self._schedule_release()

    def _schedule_release(self) -> None:
        with contextlib.suppress(RuntimeError):  # no running loop: nothing sleeps anyway
            asyncio.get_running_loop().call_soon(self._release_next)

    def _release_next(self) -> None:
        """Wake the earliest sleeper if the clock may move: one at a time, each only after the
        one before has run on, so time never runs ahead of a request not yet on the wire."""
        if self._waking or self._held >= self._in_flight or not self._sleepers:
            return
        wake, _, woken = heapq.heappop(self._sleepers)
        self._elapsed = max(self._elapsed, wake)
        if not woken.done():
            self._waking = True
            woken.set_result(None)
