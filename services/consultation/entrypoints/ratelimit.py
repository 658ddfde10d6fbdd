"""A token bucket per client, in process: a few submissions at once, then a steady rate.

Why: the form is public and anonymous, so nothing else stops one client from flooding the
consultation with responses. The limit is per IP address (``X-Forwarded-For`` only when the
service is told it sits behind a proxy that sets it). In process is enough for one replica;
several replicas would each allow the rate, which still bounds a flood.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.clock import Clock, SystemClock


@dataclass
class TokenBucket:
    """``burst`` tokens, refilled at ``per_minute``; each request takes one."""

    per_minute: float
    burst: int
    clock: Clock = field(default_factory=SystemClock)  # its monotonic seconds
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def take(self, client: str) -> float:
        """0 when ``client`` may go ahead (a token is taken), else seconds until it may."""
        if not self.enabled:
            return 0.0
        now = self.clock.monotonic()
        tokens, last = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_minute / 60)
        if tokens >= 1:
            self._buckets[client] = (tokens - 1, now)
            return 0.0
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 3600}
        return (1 - tokens) * 60 / self.per_minute
