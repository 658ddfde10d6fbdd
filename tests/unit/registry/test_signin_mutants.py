"""The self-service sign-in rules at their edges (issue 18, mutation testing).

``test_selfservice_access.py`` states the rules; these tests pin the boundaries a changed
``<`` or ``>=`` would move: the very instant a code expires or a lock lifts, the fifth and
the sixth wrong try, a window that is exactly full, and the verdict words tests and logs see.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.registry.selfservice.domain.signin import (
    ALPHABET,
    AccessRules,
    Challenge,
    Lock,
    SlidingWindow,
    Verdict,
    check_code,
    new_reference,
    normalise_reference,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
RULES = AccessRules()
RIGHT, WRONG = "right-hash", "wrong-hash"


def challenge(at: datetime = T0, code_hash: str | None = RIGHT) -> Challenge:
    return Challenge.new("subject-1", "carer-1", code_hash, at, RULES, "challenge-1")


def test_the_rules_are_ten_minute_codes_five_tries_and_an_hour_locked() -> None:
    assert (RULES.code_minutes, RULES.max_wrong_codes, RULES.lock_minutes) == (10, 5, 60)


def test_verdicts_are_the_words_logged_and_shown() -> None:
    words = (Verdict.SIGNED_IN, Verdict.WRONG, Verdict.EXPIRED, Verdict.USED, Verdict.LOCKED)
    assert words == ("signed-in", "wrong", "expired", "used", "locked")


def test_a_new_challenge_keeps_its_id_subject_and_carer_and_expires_after_the_rules_minutes() -> (
    None
):
    made = Challenge.new("subject-1", None, None, T0, AccessRules(code_minutes=3), "given-id")
    assert made.challenge_id == "given-id"
    assert (made.subject, made.carer_id, made.code_hash) == ("subject-1", None, None)
    assert made.created_at == T0 and made.expires_at == T0 + timedelta(minutes=3)
    assert made.used_at is None


def test_a_new_challenge_for_a_carer_names_them_and_holds_the_code_hash() -> None:
    made = challenge()
    assert (made.carer_id, made.code_hash, made.challenge_id) == ("carer-1", RIGHT, "challenge-1")


def test_a_new_challenge_without_an_id_gets_an_unguessable_url_safe_one() -> None:
    made = {Challenge.new("s", None, None, T0, RULES).challenge_id for _ in range(20)}
    assert len(made) == 20
    for challenge_id in made:
        assert len(challenge_id) == 32  # 24 random bytes, base64url
        assert set(challenge_id) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )


def test_a_lock_lifts_at_the_very_instant_its_hour_ends() -> None:
    lock = Lock("subject-1", failures=5, locked_until=T0)
    assert lock.is_locked(T0 - timedelta(microseconds=1))
    assert not lock.is_locked(T0)
    assert not Lock("subject-1", failures=4).is_locked(T0), "no lock without a time"


def test_a_wrong_code_the_instant_the_lock_ends_starts_a_fresh_count() -> None:
    lock = Lock("subject-1", failures=5, locked_until=T0)
    lock.record_wrong(T0, RULES)
    assert (lock.failures, lock.locked_until) == (1, None)


def test_a_wrong_code_while_locked_keeps_counting_and_extends_the_lock() -> None:
    lock = Lock("subject-1", failures=5, locked_until=T0)
    lock.record_wrong(T0 - timedelta(minutes=1), RULES)
    assert lock.failures == 6
    assert lock.locked_until == T0 + timedelta(minutes=59)


def test_the_fifth_wrong_code_locks_and_the_fourth_does_not() -> None:
    lock = Lock("subject-1")
    for _ in range(4):
        lock.record_wrong(T0, RULES)
    assert lock.locked_until is None and lock.tries_left(RULES) == 1
    lock.record_wrong(T0, RULES)
    assert lock.locked_until == T0 + timedelta(minutes=60)
    assert lock.tries_left(RULES) == 0


def test_tries_left_never_goes_below_zero() -> None:
    assert Lock("subject-1", failures=7).tries_left(RULES) == 0
    assert Lock("subject-1").tries_left(RULES) == 5


def test_a_right_code_after_an_expired_lock_clears_it() -> None:
    lock = Lock("subject-1", failures=5, locked_until=T0)
    ch = challenge(at=T0)
    assert check_code(ch, RIGHT, lock, T0, RULES) == Verdict.SIGNED_IN
    assert (lock.failures, lock.locked_until) == (0, None)
    assert ch.used_at == T0


def test_a_wrong_code_for_an_expired_challenge_is_a_wrong_try() -> None:
    lock = Lock("subject-1")
    too_late = T0 + timedelta(minutes=10)
    assert check_code(challenge(), WRONG, lock, too_late, RULES) == Verdict.WRONG
    assert lock.failures == 1


def test_its_own_expired_code_is_not_a_wrong_try_and_is_not_spent() -> None:
    lock, ch = Lock("subject-1"), challenge()
    assert check_code(ch, RIGHT, lock, T0 + timedelta(minutes=10), RULES) == Verdict.EXPIRED
    assert lock.failures == 0 and ch.used_at is None


def test_a_wrong_code_for_a_used_challenge_is_a_wrong_try() -> None:
    lock, ch = Lock("subject-1"), challenge()
    assert check_code(ch, RIGHT, lock, T0, RULES) == Verdict.SIGNED_IN
    assert check_code(ch, WRONG, lock, T0, RULES) == Verdict.WRONG
    assert lock.failures == 1


def test_a_used_code_that_has_also_expired_says_used() -> None:
    lock, ch = Lock("subject-1"), challenge()
    check_code(ch, RIGHT, lock, T0, RULES)
    assert check_code(ch, RIGHT, lock, T0 + timedelta(hours=1), RULES) == Verdict.USED


def test_the_window_forgets_a_request_exactly_its_length_ago() -> None:
    window = SlidingWindow(limit=2, seconds=60)
    assert window.take("a", 0) == 0.0 and window.take("a", 30) == 0.0
    assert window.take("a", 59) == 1.0, "wait until the first request is 60 s old"
    assert window.take("a", 60) == 0.0
    assert window.take("a", 61) == 29.0


def test_refused_requests_are_not_counted() -> None:
    window = SlidingWindow(limit=1, seconds=10)
    assert window.take("a", 0) == 0.0
    assert [window.take("a", t) for t in (1, 2, 3)] == [9.0, 8.0, 7.0]
    assert window.take("a", 10) == 0.0, "the refusals did not fill the window"


def test_up_to_ten_thousand_clients_are_remembered_then_idle_ones_forgotten() -> None:
    window = SlidingWindow(limit=1, seconds=10)
    for n in range(9_999):
        window.take(f"idle-{n}", 0)
    window.take("busy", 5)
    window.take("new-1", 10)  # 10,001 clients: the idle ones (last seen 10 s ago) go
    assert set(window._hits) == {"busy", "new-1"}
    assert window.take("busy", 10) > 0, "a forgotten client is not a busy one"


def test_exactly_ten_thousand_clients_are_all_remembered() -> None:
    window = SlidingWindow(limit=1, seconds=10)
    for n in range(9_999):
        window.take(f"idle-{n}", 0)
    window.take("new-1", 20)
    assert len(window._hits) == 10_000
    assert window.take("idle-0", 20) == 0.0


def test_references_have_the_prefix_and_two_groups_of_four_from_the_alphabet() -> None:
    for _ in range(50):
        prefix, first, second = new_reference().split("-")
        assert prefix == "CC" and len(first) == len(second) == 4
        assert set(first + second) <= set(ALPHABET)


def test_a_single_character_outside_the_alphabet_is_not_a_reference() -> None:
    assert normalise_reference("CC-7K3M-9QXU") is None
    assert normalise_reference("CC-7K3M-9QX2L") is None, "nine characters"
    assert normalise_reference("CC-7K3M-9QL2") == "CC-7K3M-9Q12", "L is read as one"
    assert normalise_reference("") is None
