"""A token bucket that keeps us under a provider's per-minute limit (Notify: 3,000 a minute).

Why the arithmetic below rather than "rate = limit / 60": Notify counts requests over a
*rolling* 60 seconds. A bucket that holds ``capacity`` tokens and refills at ``rate`` can let
through at most ``capacity + 60 * rate`` requests in any 60 seconds, so the refill rate is
``(usable - capacity) / 60`` where ``usable`` is the limit less a small margin for the time
between taking a token and Notify counting the request. Then no minute, however it is sliced,
goes over the limit, and 429s (which we also handle) stay the exception.

Reservations may run into debt: each caller is told how long to wait for *its* token, so
waiting callers are served in order without a thundering herd. Pure: the caller passes the
clock reading (seconds on a monotonic clock) and does the waiting.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``rate`` per second."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    @classmethod
    def per_minute(
        cls, limit: int, *, now: float, margin: float = 0.02, burst_seconds: float = 1.0
    ) -> TokenBucket:
        """A bucket that never lets more than ``limit`` through in any rolling minute."""
        if limit <= 0:
            raise ValueError("limit: must be positive (use no bucket for no limit)")
        usable = limit * (1 - margin)
        capacity = max(1.0, min(usable / 2, usable * burst_seconds / 60))
        return cls(rate=(usable - capacity) / 60, capacity=capacity, tokens=capacity, updated=now)

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def reserve(self, now: float) -> float:
        """Take one token; the seconds to wait before using it (0.0 when one is ready)."""
        self._refill(now)
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def drain(self, now: float) -> None:
        """The provider said 429: spend what is left, so everyone backs off for a while."""
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)

    def max_in_window(self, seconds: float) -> float:
        """The most requests this bucket can let through in any ``seconds``-long window."""
        return self.capacity + self.rate * seconds
