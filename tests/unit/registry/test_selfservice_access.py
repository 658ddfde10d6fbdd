"""The self-service security rules, as pure decisions: codes expire in 10 minutes and work
once, five wrong codes lock the subject for an hour (whether or not it names anyone), and each
client may only try so often in a sliding window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.registry.selfservice.domain.signin import (
    AccessRules,
    Challenge,
    Lock,
    SlidingWindow,
    Verdict,
    check_code,
    new_reference,
    normalise_reference,
)
from shared.signin_code import code_hash, code_key, signin_code

KEY = code_key("a test secret that is long enough for the rules")
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 2 a.m.: the service is open at any hour
RULES = AccessRules()


def challenge(carer: str | None = "carer-1", at: datetime = T0) -> Challenge:
    sent = carer is not None
    hashed = code_hash(KEY, "ch-1" * 5, signin_code(KEY, "ch-1" * 5)) if sent else None
    return Challenge.new("subject-1", carer, hashed, at, RULES, "ch-1" * 5)


def typed(code: str) -> str:
    return code_hash(KEY, "ch-1" * 5, code)


RIGHT = signin_code(KEY, "ch-1" * 5)
WRONG = str((int(RIGHT) + 1) % 10**6).zfill(6)


def test_the_right_code_signs_in_once_and_only_once() -> None:
    ch, lock = challenge(), Lock("subject-1")
    assert check_code(ch, typed(RIGHT), lock, T0 + timedelta(minutes=1), RULES) == Verdict.SIGNED_IN
    again = check_code(ch, typed(RIGHT), lock, T0 + timedelta(minutes=2), RULES)
    assert again == Verdict.USED
    assert lock.failures == 0, "typing your own used code is not a wrong try"


def test_a_code_expires_after_ten_minutes() -> None:
    lock = Lock("subject-1")
    just_in_time = T0 + timedelta(minutes=9, seconds=59)
    assert check_code(challenge(), typed(RIGHT), lock, just_in_time, RULES) == Verdict.SIGNED_IN
    too_late = T0 + timedelta(minutes=10)
    assert check_code(challenge(), typed(RIGHT), lock, too_late, RULES) == Verdict.EXPIRED


def test_five_wrong_codes_lock_the_subject_for_an_hour_even_against_the_right_code() -> None:
    ch, lock = challenge(), Lock("subject-1")
    verdicts = [check_code(ch, typed(WRONG), lock, T0, RULES) for _ in range(5)]
    assert verdicts == [Verdict.WRONG] * 4 + [Verdict.LOCKED]
    assert lock.locked_until == T0 + timedelta(hours=1)
    assert check_code(ch, typed(RIGHT), lock, T0 + timedelta(minutes=59), RULES) == Verdict.LOCKED
    assert ch.used_at is None, "a locked subject's code is not spent"


def test_the_lock_lifts_after_the_hour_with_a_fresh_count() -> None:
    lock = Lock("subject-1", failures=5, locked_until=T0)
    later = T0 + timedelta(seconds=1)
    fresh = challenge(at=later)
    assert check_code(fresh, typed(WRONG), lock, later, RULES) == Verdict.WRONG
    assert lock.failures == 1 and lock.tries_left(RULES) == 4


def test_a_right_code_resets_the_count_of_wrong_ones() -> None:
    ch, lock = challenge(), Lock("subject-1")
    for _ in range(4):
        check_code(ch, typed(WRONG), lock, T0, RULES)
    assert check_code(ch, typed(RIGHT), lock, T0, RULES) == Verdict.SIGNED_IN
    assert lock.failures == 0


def test_when_the_details_matched_nobody_no_code_is_ever_right_and_the_lock_still_counts() -> None:
    """No existence leak: a challenge for nobody behaves like one for a carer typed wrongly."""
    ch, lock = challenge(carer=None), Lock("subject-1")
    assert ch.code_hash is None
    every_code = [check_code(ch, typed(RIGHT), lock, T0, RULES) for _ in range(5)]
    assert every_code == [Verdict.WRONG] * 4 + [Verdict.LOCKED]


def test_codes_are_six_digits_derived_from_the_challenge_and_the_key() -> None:
    assert len(RIGHT) == 6 and RIGHT.isdigit()
    assert signin_code(KEY, "ch-1" * 5) == RIGHT
    assert signin_code(code_key("another secret entirely, also long enough"), "ch-1" * 5) != RIGHT
    codes = {signin_code(KEY, f"challenge-{n}") for n in range(200)}
    assert len(codes) > 190, "codes differ from one challenge to the next"
    assert code_hash(KEY, "c", RIGHT) != RIGHT and len(code_hash(KEY, "c", RIGHT)) == 64


def test_the_sliding_window_allows_the_limit_then_refuses_until_the_oldest_ages_out() -> None:
    window = SlidingWindow(limit=3, seconds=60)
    assert [window.take("10.0.0.1", t) for t in (0, 10, 20)] == [0.0, 0.0, 0.0]
    assert window.take("10.0.0.1", 30) == pytest.approx(30)
    assert window.take("10.0.0.2", 30) == 0.0, "the limit is per client"
    assert window.take("10.0.0.1", 60.5) == 0.0, "the first request left the window"
    assert window.take("10.0.0.1", 61) > 0


@pytest.mark.parametrize(
    ("typed_reference", "stored"),
    [
        ("CC-7K3M-9QX2", "CC-7K3M-9QX2"),
        ("cc 7k3m 9qx2", "CC-7K3M-9QX2"),
        ("7K3M9QX2", "CC-7K3M-9QX2"),
        ("CC-7K3M-9QXO", "CC-7K3M-9QX0"),  # O read as zero
        ("CC-IK3M-9QX2", "CC-1K3M-9QX2"),  # I read as one
        ("CC-7K3M", None),
        ("9434765919", None),
        ("CC-UUUU-UUUU", None),  # U is never in a reference
    ],
)
def test_references_are_read_forgivingly(typed_reference: str, stored: str | None) -> None:
    assert normalise_reference(typed_reference) == stored


def test_new_references_are_readable_and_round_trip() -> None:
    made = {new_reference() for _ in range(100)}
    assert len(made) == 100
    for reference in made:
        assert normalise_reference(reference) == reference
        assert not set(reference) & set("ILOU")
