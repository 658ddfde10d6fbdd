"""Who may see a carer's self-service pages: references, one-time codes, lockout, rate limits.

Pure rules, no I/O; the service layer stores what they decide. The rules (issue 7):

- a sign-in code expires 10 minutes after it is made and can be used once;
- five wrong codes lock the reference (or NHS number) typed for an hour, whether or not it
  belongs to anyone, so a lock says nothing about existence;
- each client (IP address) may try only so often in a sliding window.
"""

from __future__ import annotations

import hmac
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Crockford's base 32: no I, L, O or U, so a reference read out on the phone is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"O": "0", "I": "1", "L": "1"}
REFERENCE_PREFIX = "CC"


def new_reference() -> str:
    """A reference a carer keeps, like ``CC-7K3M-9QX2`` (40 random bits, easy to read out)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{REFERENCE_PREFIX}-{body[:4]}-{body[4:]}"


def normalise_reference(typed: str) -> str | None:
    """The reference as stored, from what a person typed (any case, spaces or dashes, O for
    0, I or L for 1); None when it cannot be one of ours."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    cleaned = cleaned.removeprefix(REFERENCE_PREFIX)
    cleaned = "".join(_READ_AS.get(ch, ch) for ch in cleaned)
    if len(cleaned) != 8 or any(ch not in ALPHABET for ch in cleaned):
        return None
    return f"{REFERENCE_PREFIX}-{cleaned[:4]}-{cleaned[4:]}"


@dataclass(frozen=True)
class AccessRules:
    """The numbers behind the rules; settings may change them, tests shorten them."""

    code_minutes: int = 10
    max_wrong_codes: int = 5
    lock_minutes: int = 60


class Verdict:
    """What checking a code decided. Strings: they are logged and shown to tests as is."""

    SIGNED_IN = "signed-in"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    LOCKED = "locked"


@dataclass
class Challenge:
    """A code sent (or, for nobody, not sent) to whoever typed ``subject``.

    ``code_hash`` is None when the details matched no carer: the page looks the same, and no
    code can ever be right.
    """

    challenge_id: str
    subject: str  # a hash of the reference or NHS number typed
    carer_id: str | None
    code_hash: str | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    @classmethod
    def new(
        cls,
        subject: str,
        carer_id: str | None,
        code_hash: str | None,
        now: datetime,
        rules: AccessRules,
        challenge_id: str | None = None,
    ) -> Challenge:
        return cls(
            challenge_id=challenge_id or secrets.token_urlsafe(24),
            subject=subject,
            carer_id=carer_id,
            code_hash=code_hash,
            created_at=now,
            expires_at=now + timedelta(minutes=rules.code_minutes),
        )


@dataclass
class Lock:
    """Wrong codes typed for one subject, and until when it is locked."""

    subject: str
    failures: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def record_wrong(self, now: datetime, rules: AccessRules) -> None:
        if self.locked_until is not None and now >= self.locked_until:
            self.failures, self.locked_until = 0, None  # the hour is over: a fresh start
        self.failures += 1
        if self.failures >= rules.max_wrong_codes:
            self.locked_until = now + timedelta(minutes=rules.lock_minutes)

    def record_success(self) -> None:
        self.failures, self.locked_until = 0, None

    def tries_left(self, rules: AccessRules) -> int:
        return max(0, rules.max_wrong_codes - self.failures)


def check_code(
    challenge: Challenge,
    typed_hash: str,
    lock: Lock,
    now: datetime,
    rules: AccessRules,
) -> str:
    """Decide a sign-in attempt, changing ``challenge`` and ``lock`` as the rules say.

    Order matters: a locked subject is refused before the code is even compared (so five
    wrong tries cannot be followed by a lucky sixth); a used or expired code is refused
    without counting as a wrong try only when the code typed was its own (a person who
    waited too long is not punished); anything else wrong counts towards the lock.
    """
    if lock.is_locked(now):
        return Verdict.LOCKED
    matches = challenge.code_hash is not None and hmac.compare_digest(
        challenge.code_hash, typed_hash
    )
    if matches and challenge.used_at is not None:
        return Verdict.USED
    if matches and now >= challenge.expires_at:
        return Verdict.EXPIRED
    if not matches:
        lock.record_wrong(now, rules)
        return Verdict.LOCKED if lock.is_locked(now) else Verdict.WRONG
    challenge.used_at = now
    lock.record_success()
    return Verdict.SIGNED_IN


@dataclass
class SlidingWindow:
    """At most ``limit`` requests per client in any ``seconds``-long window (a sliding log).

    Held in memory, per process: it is a brake on one client hammering the sign-in form, not
    a security boundary (the lock on each reference is, and that is in the database).
    """

    limit: int
    seconds: float
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def take(self, client: str, now: float) -> float:
        """0 when the request may go ahead (and is counted), else seconds until it may."""
        hits = self._hits.setdefault(client, deque())
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.seconds - now
        hits.append(now)
        if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
            for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.seconds]:
                del self._hits[key]
        return 0.0
