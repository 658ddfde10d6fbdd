"""When to try a send again, and what a provider's refusal means for the carer's message.

Why jitter: when a provider recovers from an outage, every message that failed at the same
moment would otherwise retry at the same moment too, and knock it over again. "Equal jitter"
keeps at least half the exponential delay (so retries really do slow down) and spreads the
rest at random.

Why ``uncertain``: a timeout or a 5xx can come *after* the provider accepted the message. So
such a failure is retried only after looking the message up by our reference; resending
blindly is how a carer gets the same text twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``max_attempts`` tries, waiting ``base * 2**(n-1)`` (capped) with jitter."""

    max_attempts: int = 10
    base_seconds: float = 5.0
    cap_seconds: float = 900.0

    def delay(self, attempt: int, rand: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


@dataclass(frozen=True)
class SendFailure:
    """Why a provider did not take a message, and what that allows us to do next.

    ``retryable``: trying again may work (429, 5xx, timeouts, 4xx SMTP replies).
    ``uncertain``: the provider may nevertheless have it; look it up before any resend.
    """

    reason: str
    retryable: bool
    uncertain: bool = False
    rate_limited: bool = False


def http_failure(status_code: int, message: str) -> SendFailure:
    """Classify an HTTP provider's answer (Notify's API)."""
    if status_code == 429:
        return SendFailure(f"429 rate limited: {message}", retryable=True, rate_limited=True)
    if status_code >= 500:
        return SendFailure(f"{status_code}: {message}", retryable=True, uncertain=True)
    return SendFailure(f"{status_code}: {message}", retryable=False)


def smtp_failure(code: int, message: str) -> SendFailure:
    """Classify an SMTP reply: 4xx means try later, 5xx means the server refused for good."""
    if 400 <= code < 500:
        return SendFailure(f"SMTP {code}: {message}", retryable=True)
    return SendFailure(f"SMTP {code}: {message}", retryable=False)


_EMAIL = re.compile(r"[^\s<>@:;,]+@[^\s<>@:;,]+")
_PHONE = re.compile(r"\+?\d[\d ]{8,}\d")


def scrub(reason: str, recipient: str | None = None) -> str:
    """A provider's reason without contact details: it goes to staff screens and events,
    and an SMTP server will happily repeat the address it refused."""
    if recipient:
        reason = reason.replace(recipient, "[recipient]")
    return _PHONE.sub("[number]", _EMAIL.sub("[address]", reason))[:500]
