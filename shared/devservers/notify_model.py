"""Data of the local Notify (:mod:`shared.devservers.notify_stub`): keys, notifications,
faults on demand, and Notify's error shape."""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse

DEV_SERVICE_ID = "7d1c4f0e-8a7b-4c1e-9f3a-2b6d5e8c0a11"
DEV_SECRET = "c0ffee00-1d2e-4f3a-8b9c-0d1e2f3a4b5c"
DEV_API_KEY = f"carers_dev-{DEV_SERVICE_ID}-{DEV_SECRET}"
EMAIL_TEMPLATE_ID = "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"
SMS_TEMPLATE_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
SIMULATED = {
    "temp-fail@simulator.notify": "temporary-failure",
    "perm-fail@simulator.notify": "permanent-failure",
    "07700900003": "temporary-failure",
    "07700900002": "permanent-failure",
}
UK_MOBILE = re.compile(r"^(?:\+44|0044|0)7\d{9}$")
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def split_api_key(api_key: str) -> tuple[str, str]:
    """(service id, secret) from ``{name}-{service id}-{secret}``, as the client reads it."""
    return api_key[-73:-37], api_key[-36:]


@dataclass
class StubNotification:
    """A notification as the stub holds it (what a test asserts on)."""

    id: str
    type: str  # "sms" | "email"
    reference: str | None
    recipient: str
    template_id: str
    personalisation: dict[str, Any]
    body: str
    subject: str | None
    status: str
    created_at: str
    received_at: float  # the stub's clock when it accepted (virtual in burst tests)
    one_click_unsubscribe_url: str | None = None
    completed_at: str | None = None

    def public(self, base_url: str) -> dict[str, Any]:
        """The shape of ``GET /v2/notifications/{id}``."""
        return {
            "id": self.id,
            "reference": self.reference,
            "email_address": self.recipient if self.type == "email" else None,
            "phone_number": self.recipient if self.type == "sms" else None,
            "line_1": None,
            "postcode": None,
            "type": self.type,
            "status": self.status,
            "template": {
                "id": self.template_id,
                "version": 1,
                "uri": f"{base_url}/v2/template/{self.template_id}",
            },
            "body": self.body,
            "subject": self.subject,
            "created_at": self.created_at,
            "created_by_name": None,
            "sent_at": self.created_at,
            "completed_at": self.completed_at,
            "scheduled_for": None,
            "postage": None,
            "one_click_unsubscribe_url": self.one_click_unsubscribe_url,
        }


@dataclass
class Fault:
    """What to do to the next request: answer ``status``, after ``delay`` seconds."""

    status: int | None = None
    delay: float = 0.0
    after_accept: bool = False  # create the notification first, then answer the error


@dataclass
class StubState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    notifications: list[StubNotification] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    sends: deque[float] = field(default_factory=deque)  # clock times in the rate window
    refused: list[tuple[int, float]] = field(default_factory=list)  # (status, clock time)
    outcomes: dict[str, str] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)


def error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"error": kind, "message": message}], "status_code": status}, status
    )
