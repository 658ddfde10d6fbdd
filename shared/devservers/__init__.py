"""Local stand-ins for the outside services the platform talks to, as real servers.

Why real servers rather than mocks: "never twice" depends on what travels over the wire (a
timed-out request the provider still accepted, a 429, a dropped connection after ``250 OK``).
A mock of the client would hide exactly those cases. Each module here runs in-process (tests,
benchmarks) or as its own process (``python -m shared.devservers.<name>``) for the demo and
for fault tests that kill the service but must keep the provider alive.

- :mod:`shared.devservers.smtp_sink`: an SMTP server (aiosmtpd) that keeps what it receives
  and answers queries over HTTP, with STARTTLS, AUTH and failures on demand.
- :mod:`shared.devservers.notify_stub`: the part of GOV.UK Notify's API that the official
  ``notifications-python-client`` uses, with its JWT check, rate limit, delivery callbacks
  and 429 / 5xx / slow answers on demand.
"""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing is listening on now (the caller binds it straight away)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
