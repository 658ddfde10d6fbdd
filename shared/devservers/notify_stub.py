"""A local GOV.UK Notify: the API that ``notifications-python-client`` calls, over real HTTP.

Implemented as Notify documents it (docs.notifications.service.gov.uk, REST API):

- ``POST /v2/notifications/sms`` and ``/v2/notifications/email`` -> 201 with the notification;
- ``GET /v2/notifications`` (``reference``, ``status``, ``template_type``, ``older_than``) and
  ``GET /v2/notifications/{id}``;
- auth: ``Authorization: Bearer <JWT>``, HS256, ``iss`` = the service id, signed with the key's
  secret, ``iat`` within 30 s (checked with the client library's own ``decode_jwt_token``);
  errors are ``{"errors": [{"error": ..., "message": ...}], "status_code": ...}``;
- rate limit: 3,000 sends per rolling 60 s per key by default (429 ``RateLimitError``), on a
  clock the caller may inject so a burst test needs no waiting;
- delivery receipts: when ``callback_url`` is set, each notification's final status is POSTed
  there with ``Authorization: Bearer <callback_token>``. Notify's simulated recipients give
  the failures: ``temp-fail@simulator.notify`` / ``07700900003`` (temporary),
  ``perm-fail@simulator.notify`` / ``07700900002`` (permanent); :meth:`NotifyStub.set_outcome`
  sets any other.

Faults on demand (in-process methods, or ``POST /_stub/faults`` from another process):
N x 429, N x 500/503 (before or *after* accepting the message, as a crash inside Notify
would), and slow answers that make the client time out although Notify did accept. Messages
received: :meth:`NotifyStub.notifications` or ``GET /_stub/notifications``.

Templates: Notify sends from templates it stores. The platform keeps its wording in its own
versioned files, so it uses one pass-through template per channel whose content is
``((body))`` (and subject ``((subject))``); the stub knows those two by the ids below.

Run it: ``python -m shared.devservers.notify_stub --port 6011``.
"""

from __future__ import annotations

import argparse
import mmap
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn

from shared.devservers import free_port
from shared.devservers.notify_api import NotifyApi
from shared.devservers.notify_model import (
    DEV_API_KEY,
    EMAIL_TEMPLATE_ID,
    SMS_TEMPLATE_ID,
    StubNotification,
)

__all__ = ["DEV_API_KEY", "EMAIL_TEMPLATE_ID", "SMS_TEMPLATE_ID", "NotifyStub", "StubNotification"]


class NotifyStub(NotifyApi):
    """The stub server. Use as a context manager, or :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        api_key: str = DEV_API_KEY,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit_per_minute: int = 3000,
        clock: Callable[[], float] = time.monotonic,
        callback_url: str | None = None,
        callback_token: str | None = None,
        callback_delay: float = 0.05,
    ) -> None:
        super().__init__(
            api_key,
            rate_limit_per_minute=rate_limit_per_minute,
            clock=clock,
            callback_url=callback_url,
            callback_token=callback_token,
            callback_delay=callback_delay,
        )
        self.host, self.port = host, port or free_port(host)
        self.base_url = f"http://{self.host}:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> NotifyStub:
        # uvicorn binds the port itself: handing it a pre-bound socket made every request
        # ~40 ms slower (small writes waiting on delayed ACKs), which a burst test feels.
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="notify-stub", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the Notify stub did not start within 10 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = self._thread = None

    def __enter__(self) -> NotifyStub:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- the API -----------------------------------------------------------------------------


def _file_clock(path: Path) -> Callable[[], float]:
    with path.open("rb") as file:
        view = mmap.mmap(file.fileno(), 8, access=mmap.ACCESS_READ)
    return lambda: float(struct.unpack_from("d", view, 0)[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.devservers.notify_stub")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6011)
    parser.add_argument("--api-key", default=DEV_API_KEY)
    parser.add_argument("--rate-limit", type=int, default=3000, help="per 60 s; 0 for none")
    parser.add_argument("--callback-url")
    parser.add_argument("--callback-token")
    parser.add_argument(
        "--clock-file",
        type=Path,
        help="read time from this file (8 bytes, a native double of seconds) written by a "
        "test's virtual clock, instead of the system's monotonic clock",
    )
    args = parser.parse_args(argv)
    stub = NotifyStub(
        args.api_key,
        host=args.host,
        port=args.port,
        rate_limit_per_minute=args.rate_limit,
        callback_url=args.callback_url,
        callback_token=args.callback_token,
        clock=_file_clock(args.clock_file) if args.clock_file else time.monotonic,
    )
    print(
        f"Notify stub on {stub.base_url}\n  NOTIFY_API_KEY={stub.api_key}\n"
        f"  NOTIFY_EMAIL_TEMPLATE_ID={EMAIL_TEMPLATE_ID}\n"
        f"  NOTIFY_SMS_TEMPLATE_ID={SMS_TEMPLATE_ID}",
        flush=True,
    )
    uvicorn.run(stub.app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
