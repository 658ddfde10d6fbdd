"""Backoff with jitter, and what each provider answer means for a retry."""

from __future__ import annotations

from services.notifications.domain.retry import RetryPolicy, http_failure, scrub, smtp_failure


def test_backoff_grows_is_capped_and_keeps_at_least_half_its_delay() -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=5, cap_seconds=60)
    assert [policy.delay(n, lambda: 0.0) for n in (1, 2, 3, 4, 5)] == [2.5, 5, 10, 20, 30]
    assert [policy.delay(n, lambda: 1.0) for n in (1, 2, 5)] == [5, 10, 60]
    assert policy.gives_up_after(10) and not policy.gives_up_after(9)


def test_429_and_5xx_are_retried_and_only_5xx_may_have_been_accepted() -> None:
    limited = http_failure(429, "slow down")
    assert limited.retryable and limited.rate_limited and not limited.uncertain
    broken = http_failure(500, "oops")
    assert broken.retryable and broken.uncertain
    refused = http_failure(400, "phone_number Not a UK mobile number")
    assert not refused.retryable


def test_smtp_4xx_is_try_later_and_5xx_is_refused() -> None:
    assert smtp_failure(451, "later").retryable
    assert not smtp_failure(550, "no such user").retryable


def test_reasons_lose_contact_details() -> None:
    assert (
        scrub("550 <sian@example.org> unknown", "sian@example.org") == "550 <[recipient]> unknown"
    )
    assert scrub("bad number 07700 900123 and x@y.org") == "bad number [number] and [address]"
