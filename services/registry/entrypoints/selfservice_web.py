"""What the self-service pages share: renderer, rules, limiters, cookies; wired by
:func:`install` from the registry's ``bootstrap()``.

Cookies: the signed session (``carers_selfservice``) and the pending sign-in
(``carers_selfservice_challenge``) are ``Secure``, ``HttpOnly`` and ``SameSite=Strict``, and
scoped to ``/self-service``. The session is ``base64(json).HMAC`` with a key derived from
``TOKEN_SECRET`` for this purpose only; it names the carer, the session and when it expires,
nothing else. Signing out (or asking for erasure) revokes the session server-side
(:mod:`shared.web.sessions`): :class:`SignedOutSessions` drops a revoked session's cookie
from every later request, so a copy kept from before sign-out signs nobody in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from services.registry.domain.access import AccessRules, SlidingWindow
from services.registry.service_layer.selfservice import SelfService
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.registry.settings import RegistrySettings
from shared.signin_code import code_key
from shared.web import PageRenderer, make_environment, mount_assets, sessions

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
PREFIX = "/self-service"
SESSION_COOKIE = "carers_selfservice"
CHALLENGE_COOKIE = "carers_selfservice_challenge"


@dataclass
class SelfServiceWeb:
    settings: RegistrySettings
    pages: PageRenderer
    service: SelfService
    signin_limiter: SlidingWindow
    form_limiter: SlidingWindow
    unit_of_work: Callable[[], RegistryUnitOfWork]
    session_key: bytes
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    monotonic: Callable[[], float] = time.monotonic

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
        return limiter.take(self.client(request), self.monotonic())

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
        expires = int(self.clock().timestamp()) + seconds
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
        if not isinstance(payload, dict) or int(payload.get("e", 0)) <= self.clock().timestamp():
            return None
        return payload

    async def revoke_session(self, request: Request) -> None:
        """Sign the session out server-side: a copy of its cookie is refused from now on."""
        payload = self.session(request.cookies.get(SESSION_COOKIE, ""))
        if payload is not None and payload.get("s"):
            expires = datetime.fromtimestamp(int(payload["e"]), UTC)
            await sessions.revoke(request, str(payload["s"]), expires)

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


def install(
    app: FastAPI, settings: RegistrySettings, unit_of_work: Callable[[], RegistryUnitOfWork]
) -> SelfServiceWeb:
    """Serve the self-service pages (and the GOV.UK assets they use) from the registry."""
    from services.registry.entrypoints import selfservice, selfservice_account

    rules = AccessRules(
        code_minutes=settings.selfservice_code_minutes,
        max_wrong_codes=settings.selfservice_max_wrong_codes,
        lock_minutes=settings.selfservice_lock_minutes,
    )
    secret = settings.token_secret
    session_key = hmac.new(secret.encode(), b"selfservice-session", hashlib.sha256).digest()
    web = SelfServiceWeb(
        settings=settings,
        pages=PageRenderer(
            make_environment(TEMPLATES),
            service_name="Carers support in Leicestershire",
            service_url=PREFIX,
            secret=secret,
        ),
        service=SelfService(code_key(secret), rules),
        signin_limiter=SlidingWindow(
            settings.selfservice_signin_limit, settings.selfservice_limit_seconds
        ),
        form_limiter=SlidingWindow(
            settings.selfservice_form_limit, settings.selfservice_limit_seconds
        ),
        unit_of_work=unit_of_work,
        session_key=session_key,
    )
    app.state.selfservice = web
    app.add_middleware(SignedOutSessions, web=web)
    mount_assets(app)
    app.include_router(selfservice.router)
    app.include_router(selfservice_account.router)
    return web
