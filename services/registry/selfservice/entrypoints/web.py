"""What the self-service pages share: renderer, rules, limiters, cookies; wired by
:func:`services.registry.selfservice.bootstrap.install` from the registry's ``bootstrap()``.

Cookies: the signed session (``carers_selfservice``), the pending sign-in
(``carers_selfservice_challenge``) and the "tell us" draft (``carers_selfservice_draft``, only
a random id: the answers stay server-side) are ``Secure``, ``HttpOnly`` and
``SameSite=Strict``, and scoped to ``/self-service``. The session is ``base64(json).HMAC``
with a key derived from ``TOKEN_SECRET`` for this purpose only; it names the carer, the
session and when it expires, nothing else. Signing out (or asking for erasure) revokes the
session server-side (:mod:`shared.web.sessions`): :class:`SignedOutSessions` drops a revoked
session's cookie from every later request, so a copy kept from before sign-out signs nobody
in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from services.registry.selfservice.domain.signin import SlidingWindow
from services.registry.selfservice.service_layer.use_cases import SelfService
from services.registry.settings import RegistrySettings
from shared.clock import Clock
from shared.web import PageRenderer, sessions

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PREFIX = "/self-service"
SESSION_COOKIE = "carers_selfservice"
CHALLENGE_COOKIE = "carers_selfservice_challenge"
DRAFT_COOKIE = "carers_selfservice_draft"


@dataclass
class SelfServiceWeb:
    settings: RegistrySettings
    pages: PageRenderer
    service: SelfService
    signin_limiter: SlidingWindow
    form_limiter: SlidingWindow
    session_key: bytes
    state: Any
    """The app's state: its ``clock`` is the registry's one clock (``entrypoints/deps.py``)."""

    @property
    def clock(self) -> Clock:
        clock: Clock = self.state.clock
        return clock

    @property
    def help(self) -> dict[str, str]:
        s = self.settings
        return {
            "phone": s.help_phone,
            "hours": s.help_hours,
            "post": s.help_post,
            "vasl": s.help_vasl,
        }

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        full = {"help": self.help, "prefix": PREFIX, "errors": [], **context}
        response = self.pages.render(
            request, template, full, status_code=status_code, headers=headers
        )
        response.headers["Cache-Control"] = "no-store"  # a carer's details stay off shared PCs
        return response

    def client(self, request: Request) -> str:
        if self.settings.selfservice_trust_forwarded_for:
            forwarded = request.headers.get("x-forwarded-for")
            if forwarded:
                return forwarded.split(",")[0].strip()
        return request.client.host if request.client else "unknown"

    def too_many(self, limiter: SlidingWindow, request: Request) -> float:
        return limiter.take(self.client(request), self.clock.monotonic())

    # -- cookies -----------------------------------------------------------------------------

    def _set(self, response: Response, name: str, value: str, seconds: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=seconds,
            path=PREFIX,
            secure=self.settings.selfservice_secure_cookies,
            httponly=True,
            samesite="strict",
        )

    def start_session(self, response: Response, carer_id: str) -> None:
        seconds = self.settings.selfservice_session_minutes * 60
        expires = int(self.clock.now().timestamp()) + seconds
        payload = json.dumps({"c": carer_id, "s": uuid.uuid4().hex, "e": expires})
        encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        self._set(response, SESSION_COOKIE, f"{encoded}.{self._sign(encoded)}", seconds)
        response.delete_cookie(CHALLENGE_COOKIE, path=PREFIX)

    def end_session(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        response.delete_cookie(CHALLENGE_COOKIE, path=PREFIX)

    def session_carer(self, request: Request) -> str | None:
        """The signed-in carer's id, or None (no cookie, a forged one, expired, signed out)."""
        payload = self.session(request.cookies.get(SESSION_COOKIE, ""))
        return None if payload is None else str(payload["c"])

    def session(self, value: str) -> dict[str, Any] | None:
        """A session cookie's signed payload, or None if forged, garbled or expired."""
        encoded, _, signature = value.partition(".")
        if not encoded or not hmac.compare_digest(self._sign(encoded), signature):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except ValueError:
            return None
        if (
            not isinstance(payload, dict)
            or int(payload.get("e", 0)) <= self.clock.now().timestamp()
        ):
            return None
        return payload

    async def revoke_session(self, request: Request) -> None:
        """Sign the session out server-side: a copy of its cookie is refused from now on."""
        payload = self.session(request.cookies.get(SESSION_COOKIE, ""))
        if payload is not None and payload.get("s"):
            expires = datetime.fromtimestamp(int(payload["e"]), UTC)
            await sessions.revoke(request, str(payload["s"]), expires)

    def draft_id(self, request: Request) -> str | None:
        """The id of this browser's "tell us" draft (random, names the answers server-side)."""
        value = request.cookies.get(DRAFT_COOKIE, "")
        return value if len(value) == 32 and value.isalnum() else None

    def keep_draft(self, response: Response, draft_id: str, minutes: int) -> None:
        self._set(response, DRAFT_COOKIE, draft_id, minutes * 60)

    def set_challenge(self, response: Response, challenge_id: str) -> None:
        self._set(
            response, CHALLENGE_COOKIE, challenge_id, self.settings.selfservice_code_minutes * 60
        )

    def _sign(self, encoded: str) -> str:
        return hmac.new(self.session_key, encoded.encode(), hashlib.sha256).hexdigest()


class SignedOutSessions:
    """ASGI middleware: a signed-out session's cookie is removed before any page reads it.

    Every self-service page asks ``session_carer``; taking the revoked cookie away here, with
    one lookup, covers them all (including pages added later) without making each one ask.
    A session without an id (made before ids existed) counts as signed out.
    """

    def __init__(self, app: ASGIApp, web: SelfServiceWeb) -> None:
        self.app = app
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            headers = scope["headers"]
            raw = next((v for k, v in headers if k == b"cookie"), b"")
            cookies = cookie_parser(raw.decode("latin-1")) if raw else {}
            payload = self.web.session(cookies.get(SESSION_COOKIE, ""))
            if payload is not None and (
                not payload.get("s")
                or await sessions.is_revoked_in(
                    scope["app"].state.runtime.engine, str(payload["s"])
                )
            ):
                kept = "; ".join(f"{k}={v}" for k, v in cookies.items() if k != SESSION_COOKIE)
                scope = dict(scope)
                scope["headers"] = [
                    *((k, v) for k, v in headers if k != b"cookie"),
                    *([(b"cookie", kept.encode("latin-1"))] if kept else []),
                ]
        await self.app(scope, receive, send)


def selfservice_web(request: Request) -> SelfServiceWeb:
    return request.app.state.selfservice  # type: ignore[no-any-return]
