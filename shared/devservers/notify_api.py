"""The behaviour of the local Notify: authentication, rate limit, faults, sends, lookups
and delivery receipts (served by :mod:`shared.devservers.notify_stub`)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

from shared.devservers.notify_model import (
    DEV_API_KEY,
    EMAIL_TEMPLATE_ID,
    SIMULATED,
    SMS_TEMPLATE_ID,
    UK_MOBILE,
    UUID_PATTERN,
    Fault,
    StubNotification,
    StubState,
    error,
    split_api_key,
)


class NotifyApi:
    """The API's behaviour and state; :class:`~shared.devservers.notify_stub.NotifyStub`
    serves it over HTTP."""

    def __init__(
        self,
        api_key: str = DEV_API_KEY,
        *,
        rate_limit_per_minute: int = 3000,
        clock: Callable[[], float] = time.monotonic,
        callback_url: str | None = None,
        callback_token: str | None = None,
        callback_delay: float = 0.05,
    ) -> None:
        self.api_key = api_key
        self.service_id, self._secret = split_api_key(api_key)
        self.rate_limit_per_minute = rate_limit_per_minute
        self.clock = clock
        self.callback_url, self.callback_token = callback_url, callback_token
        self.callback_delay = callback_delay
        self.base_url = "http://notify.invalid"  # set by the server once it has a port
        self._state = StubState()
        self.app = self._build_app()

    def notifications(self, kind: str | None = None) -> list[StubNotification]:
        with self._state.lock:
            return [n for n in self._state.notifications if kind in (None, n.type)]

    def refused(self) -> list[tuple[int, float]]:
        """(status, clock time) of every request answered with an error on purpose or limit."""
        with self._state.lock:
            return list(self._state.refused)

    def callbacks(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return list(self._state.callbacks)

    def fail_next(self, status: int, count: int = 1, *, after_accept: bool = False) -> None:
        with self._state.lock:
            self._state.faults.extend(
                Fault(status, after_accept=after_accept) for _ in range(count)
            )

    def delay_next(self, seconds: float, count: int = 1) -> None:
        """Answer the next ``count`` sends slowly (they are still accepted)."""
        with self._state.lock:
            self._state.faults.extend(Fault(delay=seconds) for _ in range(count))

    def set_outcome(self, recipient: str, status: str) -> None:
        with self._state.lock:
            self._state.outcomes[recipient] = status

    def reset(self) -> None:
        with self._state.lock:
            self._state.notifications.clear()
            self._state.faults.clear()
            self._state.sends.clear()
            self._state.refused.clear()
            self._state.callbacks.clear()

    # -- the API -----------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return error(401, "AuthError", "Unauthorized: authentication token must be provided")
        token = header.removeprefix("Bearer ").strip()
        try:
            if get_token_issuer(token) != self.service_id:
                return error(403, "AuthError", "Invalid token: service not found")
            decode_jwt_token(token, self._secret)
        except TokenError as refused:
            return error(403, "AuthError", refused.message)
        return None

    def _next_fault(self) -> Fault | None:
        with self._state.lock:
            return self._state.faults.popleft() if self._state.faults else None

    def _within_rate_limit(self) -> bool:
        if not self.rate_limit_per_minute:
            return True
        now = self.clock()
        with self._state.lock:
            sends = self._state.sends
            while sends and sends[0] <= now - 60:
                sends.popleft()
            if len(sends) >= self.rate_limit_per_minute:
                self._state.refused.append((429, now))
                return False
            sends.append(now)
            return True

    async def _send(self, request: Request, kind: str) -> JSONResponse:
        if (denied := self._authenticate(request)) is not None:
            return denied
        payload = await request.json()  # read it all first, as Notify's load balancer does
        fault = self._next_fault()
        if fault is not None and fault.status and not fault.after_accept:
            with self._state.lock:
                self._state.refused.append((fault.status, self.clock()))
            kind_of = "RateLimitError" if fault.status == 429 else "ServerError"
            return error(fault.status, kind_of, "Fault on demand")
        if not self._within_rate_limit():
            limit = self.rate_limit_per_minute
            return error(
                429,
                "RateLimitError",
                f"Exceeded rate limit for key type LIVE of {limit} requests per 60 seconds",
            )
        problem, notification = self._create(kind, payload)
        if problem is not None:
            return problem
        assert notification is not None
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)  # accepted, but the answer comes too late
        if fault is not None and fault.status:
            return error(fault.status, "ServerError", "Fault on demand (after accepting)")
        self._schedule_receipt(notification)
        content: dict[str, Any] = {"body": notification.body}
        if kind == "email":
            content |= {
                "subject": notification.subject,
                "from_email": "carers.connect@notifications.service.gov.uk",
                "one_click_unsubscribe_url": notification.one_click_unsubscribe_url,
            }
        else:
            content["from_number"] = "CarersLeic"
        return JSONResponse(
            {
                "id": notification.id,
                "reference": notification.reference,
                "content": content,
                "uri": f"{self.base_url}/v2/notifications/{notification.id}",
                "template": {
                    "id": notification.template_id,
                    "version": 1,
                    "uri": f"{self.base_url}/v2/template/{notification.template_id}",
                },
                "scheduled_for": None,
            },
            201,
        )

    def _create(
        self, kind: str, payload: dict[str, Any]
    ) -> tuple[JSONResponse | None, StubNotification | None]:
        template_id = str(payload.get("template_id", ""))
        expected = EMAIL_TEMPLATE_ID if kind == "email" else SMS_TEMPLATE_ID
        if not UUID_PATTERN.match(template_id):
            return error(400, "ValidationError", "template_id is not a valid UUID"), None
        if template_id != expected:
            return error(400, "BadRequestError", "Template not found"), None
        personalisation = payload.get("personalisation") or {}
        needed = ("subject", "body") if kind == "email" else ("body",)
        missing = [name for name in needed if name not in personalisation]
        if missing:
            return error(400, "BadRequestError", f"Missing personalisation: {missing[0]}"), None
        if kind == "sms":
            recipient = str(payload.get("phone_number", ""))
            if not UK_MOBILE.match(recipient.replace(" ", "")):
                return error(400, "ValidationError", "phone_number Not a UK mobile number"), None
        else:
            recipient = str(payload.get("email_address", ""))
            if "@" not in recipient:
                return error(
                    400, "ValidationError", "email_address Not a valid email address"
                ), None
        notification = StubNotification(
            id=str(uuid.uuid4()),
            type=kind,
            reference=payload.get("reference"),
            recipient=recipient,
            template_id=template_id,
            personalisation=dict(personalisation),
            body=str(personalisation["body"]),
            subject=str(personalisation["subject"]) if kind == "email" else None,
            status="sending",
            created_at=datetime.now(UTC).isoformat(),
            received_at=self.clock(),
            one_click_unsubscribe_url=payload.get("one_click_unsubscribe_url"),
        )
        with self._state.lock:
            self._state.notifications.append(notification)
        return None, notification

    def _schedule_receipt(self, notification: StubNotification) -> None:
        with self._state.lock:
            outcome = self._state.outcomes.get(
                notification.recipient, SIMULATED.get(notification.recipient, "delivered")
            )

        async def deliver() -> None:
            await asyncio.sleep(self.callback_delay)
            notification.status = outcome
            notification.completed_at = datetime.now(UTC).isoformat()
            if not self.callback_url:
                return
            receipt = {
                "id": notification.id,
                "reference": notification.reference,
                "to": notification.recipient,
                "status": outcome,
                "created_at": notification.created_at,
                "completed_at": notification.completed_at,
                "sent_at": notification.created_at,
                "notification_type": notification.type,
                "template_id": notification.template_id,
                "template_version": 1,
            }
            headers = {"Authorization": f"Bearer {self.callback_token}"}
            answer: int | str
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    response = await client.post(self.callback_url, json=receipt, headers=headers)
                answer = response.status_code
            except httpx.HTTPError as failed:
                answer = type(failed).__name__
            with self._state.lock:
                self._state.callbacks.append({"receipt": receipt, "answer": answer})

        asyncio.get_running_loop().create_task(deliver())

    def _find(self, request: Request) -> JSONResponse:
        params = request.query_params
        found = self.notifications(params.get("template_type"))
        if params.get("reference"):
            found = [n for n in found if n.reference == params["reference"]]
        if params.get("status"):
            found = [n for n in found if n.status == params["status"]]
        found.reverse()  # newest first, as Notify lists them
        if params.get("older_than"):
            ids = [n.id for n in found]
            older = params["older_than"]
            found = found[ids.index(older) + 1 :] if older in ids else []
        page = found[:250]
        return JSONResponse(
            {
                "notifications": [n.public(self.base_url) for n in page],
                "links": {
                    "current": f"{self.base_url}/v2/notifications",
                    "next": (
                        f"{self.base_url}/v2/notifications?older_than={page[-1].id}"
                        if len(found) > len(page)
                        else None
                    ),
                },
            }
        )

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="GOV.UK Notify stub", docs_url=None, redoc_url=None)

        @app.post("/v2/notifications/sms")
        async def send_sms(request: Request) -> JSONResponse:
            return await self._send(request, "sms")

        @app.post("/v2/notifications/email")
        async def send_email(request: Request) -> JSONResponse:
            return await self._send(request, "email")

        @app.get("/v2/notifications")
        async def list_notifications(request: Request) -> JSONResponse:
            if (denied := self._authenticate(request)) is not None:
                return denied
            return self._find(request)

        @app.get("/v2/notifications/{notification_id}")
        async def get_notification(request: Request, notification_id: str) -> JSONResponse:
            if (denied := self._authenticate(request)) is not None:
                return denied
            for n in self.notifications():
                if n.id == notification_id:
                    return JSONResponse(n.public(self.base_url))
            return error(404, "NoResultFound", "No result found")

        @app.get("/_stub/notifications")
        async def stub_notifications() -> list[dict[str, Any]]:
            return [asdict(n) for n in self.notifications()]

        @app.get("/_stub/refused")
        async def stub_refused() -> list[tuple[int, float]]:
            return self.refused()

        @app.delete("/_stub/notifications")
        async def stub_reset() -> dict[str, bool]:
            self.reset()
            return {"cleared": True}

        @app.post("/_stub/faults")
        async def stub_faults(request: Request) -> dict[str, int]:
            spec = await request.json()
            count = int(spec.get("count", 1))
            if spec.get("delay"):
                self.delay_next(float(spec["delay"]), count)
            else:
                self.fail_next(
                    int(spec["status"]), count, after_accept=bool(spec.get("after_accept"))
                )
            return {"armed": count}

        return app
