"""The sending rules at their edges (issue 18, mutation testing): quiet hours at the first quiet
minute, the token bucket's exact sizes, backoff defaults, which provider answers are retried,
and the sign-in code kept out of stored text. The rule files' own tests state the rules; these
pin the numbers and boundaries a changed constant or comparison would move."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.rate_limit import TokenBucket
from services.notifications.domain.retry import (
    RetryPolicy,
    SendFailure,
    http_failure,
    scrub,
    smtp_failure,
)
from services.notifications.domain.secrets import CODE_WITHHELD, reveal, withhold


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- quiet hours ---------------------------------------------------------------------------------


def test_quiet_hours_are_uk_time_by_default() -> None:
    assert str(QuietHours.parse("21:00", "08:00").zone) == "Europe/London"
    assert str(QuietHours.parse("21:00", "08:00", "Europe/Dublin").zone) == "Europe/Dublin"


def test_a_window_inside_one_day_starts_quiet_at_its_first_minute() -> None:
    lunch = QuietHours.parse("13:00", "14:00")
    assert lunch.is_quiet(utc("2026-01-12 13:00"))
    assert not lunch.is_quiet(utc("2026-01-12 12:59"))
    assert lunch.next_allowed(utc("2026-01-12 13:00")) == utc("2026-01-12 14:00")


def test_a_window_inside_one_day_follows_summer_time() -> None:
    lunch = QuietHours.parse("13:00", "14:00")
    assert lunch.is_quiet(utc("2026-06-15 12:30")), "13:30 BST"
    assert not lunch.is_quiet(utc("2026-06-15 13:30")), "14:30 BST"


def test_the_end_of_quiet_hours_is_given_in_utc() -> None:
    uk = QuietHours.parse("21:00", "08:00")
    allowed = uk.next_allowed(utc("2026-06-15 22:00"))
    assert allowed == utc("2026-06-16 07:00") and allowed.utcoffset() is not None
    assert allowed.tzinfo == UTC


def test_the_night_ends_at_eight_in_the_zone_configured() -> None:
    new_york = QuietHours.parse("21:00", "08:00", "America/New_York")
    assert new_york.next_allowed(utc("2026-01-12 12:00")) == utc("2026-01-12 13:00"), "07:00 EST"
    assert new_york.next_allowed(utc("2026-01-12 14:00")) == utc("2026-01-12 14:00"), "09:00 EST"


def test_quiet_hours_switched_off_are_never_quiet() -> None:
    off = QuietHours.parse("08:00", "08:00")
    assert not off.is_quiet(utc("2026-01-12 08:00"))
    assert not off.is_quiet(utc("2026-01-12 03:00"))


# -- the token bucket ----------------------------------------------------------------------------


def test_a_bucket_for_notify_holds_one_seconds_worth_and_refills_the_rest_of_the_minute() -> None:
    bucket = TokenBucket.per_minute(3000, now=7.0)
    usable = 3000 * 0.98
    assert bucket.capacity == pytest.approx(usable / 60)
    assert bucket.rate == pytest.approx((usable - usable / 60) / 60)
    assert (bucket.tokens, bucket.updated) == (bucket.capacity, 7.0)
    assert bucket.max_in_window(60) == pytest.approx(usable)
    assert bucket.max_in_window(0) == pytest.approx(bucket.capacity)


def test_a_small_limit_still_holds_one_token_and_a_long_burst_at_most_half() -> None:
    assert TokenBucket.per_minute(60, now=0.0).capacity == 1.0
    assert TokenBucket.per_minute(1, now=0.0).capacity == 1.0, "a limit of one is allowed"
    assert TokenBucket.per_minute(60, now=0.0, burst_seconds=60).capacity == pytest.approx(29.4)
    assert TokenBucket.per_minute(100, now=0.0, margin=0.5).capacity == 1.0
    assert TokenBucket.per_minute(100, now=0.0, margin=0.5).rate == pytest.approx(49 / 60)


def test_a_limit_below_one_is_refused_with_the_reason() -> None:
    with pytest.raises(
        ValueError, match=r"^limit: must be positive \(use no bucket for no limit\)$"
    ):
        TokenBucket.per_minute(-5, now=0.0)


def test_an_idle_bucket_fills_only_to_its_capacity() -> None:
    bucket = TokenBucket(rate=10, capacity=2, tokens=0, updated=0.0)
    bucket.reserve(100.0)
    assert bucket.tokens == 1 and bucket.updated == 100.0
    assert bucket.reserve(100.05) == 0.0, "half a token refilled, plus the one left"
    assert bucket.reserve(100.05) == pytest.approx(0.05)


def test_a_reading_from_the_past_refills_nothing() -> None:
    bucket = TokenBucket(rate=10, capacity=2, tokens=0, updated=5.0)
    assert bucket.reserve(4.0) == pytest.approx(0.1)
    assert bucket.updated == 5.0


def test_draining_keeps_any_debt_and_refills_first() -> None:
    owing = TokenBucket(rate=10, capacity=2, tokens=-3, updated=0.0)
    owing.drain(0.0)
    assert owing.tokens == -3
    full = TokenBucket(rate=10, capacity=2, tokens=0.5, updated=0.0)
    full.drain(0.1)
    assert (full.tokens, full.updated) == (0.0, 0.1)
    assert full.reserve(0.1) == pytest.approx(0.1)


# -- retries -------------------------------------------------------------------------------------


def test_the_default_policy_is_ten_tries_from_five_seconds_up_to_fifteen_minutes() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.base_seconds, policy.cap_seconds) == (10, 5.0, 900.0)
    assert policy.delay(1, lambda: 1.0) == 5.0
    assert policy.delay(20, lambda: 1.0) == 900.0
    assert policy.delay(0, lambda: 1.0) == 5.0, "attempts count from one"


def test_each_http_answer_keeps_its_code_and_message_for_staff() -> None:
    assert http_failure(429, "slow down") == SendFailure(
        "429 rate limited: slow down", retryable=True, uncertain=False, rate_limited=True
    )
    assert http_failure(500, "oops") == SendFailure(
        "500: oops", retryable=True, uncertain=True, rate_limited=False
    )
    assert http_failure(499, "closed") == SendFailure(
        "499: closed", retryable=False, uncertain=False, rate_limited=False
    )


def test_smtp_4xx_from_400_to_499_is_try_later_and_500_is_refused() -> None:
    assert smtp_failure(400, "later") == SendFailure("SMTP 400: later", retryable=True)
    assert smtp_failure(499, "later").retryable
    assert smtp_failure(500, "no") == SendFailure("SMTP 500: no", retryable=False)
    assert not smtp_failure(399, "odd").retryable


def test_a_failure_is_certain_and_not_rate_limited_unless_told() -> None:
    failure = SendFailure("x", retryable=True)
    assert (failure.uncertain, failure.rate_limited) == (False, False)


def test_a_reason_is_cut_to_five_hundred_characters() -> None:
    assert scrub("x" * 600) == "x" * 500
    assert scrub("y" * 500) == "y" * 500


def test_a_reason_without_a_recipient_keeps_its_words() -> None:
    assert scrub("550 mailbox full", None) == "550 mailbox full"
    assert scrub("550 mailbox full", "") == "550 mailbox full"


# -- sign-in codes -------------------------------------------------------------------------------


def test_a_code_is_withheld_from_stored_text_and_revealed_only_to_the_provider() -> None:
    assert CODE_WITHHELD == "[code hidden]"
    stored = withhold("Your code is 123456. It expires in 10 minutes.", "123456")
    assert stored == "Your code is [code hidden]. It expires in 10 minutes."
    assert reveal(stored, "123456") == "Your code is 123456. It expires in 10 minutes."


def test_no_code_leaves_the_text_as_it_is() -> None:
    assert withhold("Hello", "") == "Hello"
