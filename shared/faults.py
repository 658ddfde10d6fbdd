"""Failpoints: named places where a test can make a service process die on purpose.

``CARERS_FAILPOINTS=processor.after_commit`` makes the process SIGKILL itself the first time
it passes that point, exactly as a power cut would: no ``finally`` blocks, no offset commit,
no graceful close. ``name@3`` dies on the third pass. Unset (always, in production), a
failpoint costs one dictionary lookup. Fault tests use these to prove that a crash between
any two steps loses nothing and duplicates nothing.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def _armed() -> dict[str, int]:
    armed: dict[str, int] = {}
    for item in filter(None, os.environ.get("CARERS_FAILPOINTS", "").split(",")):
        name, _, nth = item.strip().partition("@")
        armed[name] = int(nth or 1)
    return armed


_ARMED = _armed()


def failpoint(name: str) -> None:
    """Die here (SIGKILL) if the environment armed this failpoint and its pass has come."""
    if name not in _ARMED:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= _ARMED[name]:
        os.kill(os.getpid(), signal.SIGKILL)
