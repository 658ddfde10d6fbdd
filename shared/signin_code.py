"""One-time sign-in codes for carer self-service, derived rather than transmitted.

The registry makes a random ``challenge_id`` and publishes it; the notifications service
sends the carer ``signin_code(key, challenge_id)``; the registry checks what the carer types
against a keyed hash of the same value. The key is derived from ``TOKEN_SECRET``, which both
services already hold, so the code itself is never written to Kafka, an outbox row or a log.
"""

from __future__ import annotations

import hashlib
import hmac

DIGITS = 6


def code_key(token_secret: str) -> bytes:
    """The key for sign-in codes: derived, so ``TOKEN_SECRET`` itself never signs them."""
    return hmac.new(token_secret.encode(), b"selfservice-signin-code", hashlib.sha256).digest()


def signin_code(key: bytes, challenge_id: str) -> str:
    """The six-digit code for a challenge (uniform enough: 2**256 mod 10**6 is negligible)."""
    digest = hmac.new(key, f"code|{challenge_id}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest, "big") % 10**DIGITS).zfill(DIGITS)


def code_hash(key: bytes, challenge_id: str, code: str) -> str:
    """What the registry stores and compares: a keyed hash, never the code."""
    return hmac.new(key, f"check|{challenge_id}|{code}".encode(), hashlib.sha256).hexdigest()
