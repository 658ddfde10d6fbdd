"""The token bucket never lets more than the limit through in any rolling minute."""

from __future__ import annotations

import pytest

from services.notifications.domain.rate_limit import TokenBucket


def busiest_minute(times: list[float]) -> int:
    busiest, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - 60:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


@pytest.mark.parametrize("limit", [3000, 600, 60])
def test_a_burst_of_ten_thousand_never_exceeds_the_limit_in_any_minute(limit: int) -> None:
    bucket = TokenBucket.per_minute(limit, now=0.0)
    now, sent = 0.0, []
    for _ in range(10_000):
        now += bucket.reserve(now)  # wait as told, then send
        sent.append(now)
    assert busiest_minute(sent) <= limit
    assert bucket.max_in_window(60) <= limit
    # ...and it is not needlessly slow: at least 95% of the limit over the burst.
    assert len(sent) / (sent[-1] / 60) >= 0.95 * limit


def test_reservations_queue_up_in_order() -> None:
    bucket = TokenBucket(rate=10, capacity=2, tokens=2, updated=0.0)
    assert [bucket.reserve(0.0) for _ in range(4)] == [0.0, 0.0, 0.1, 0.2]


def test_a_429_drains_the_bucket_so_everyone_backs_off() -> None:
    bucket = TokenBucket.per_minute(3000, now=0.0)
    bucket.drain(0.0)
    assert bucket.reserve(0.0) > 0


def test_a_limit_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        TokenBucket.per_minute(0, now=0.0)
