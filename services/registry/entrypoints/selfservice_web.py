"""What the self-service pages share: renderer, rules, limiters, cookies; wired by
:func:`install` from the registry's ``bootstrap()``.

Cookies: the signed session (``carers_selfservice``) and the pending sign-in
(``carers_selfservice_challenge``) are ``Secure``, ``HttpOnly`` and ``SameSite=Strict``, and
scoped to ``/self-service``. The session is ``base64(json).HMAC`` with a key derived from
``TOKEN_SECRET`` for this purpose only; it names the carer and when it expires, nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response

from services.registry.domain.access import AccessRules, SlidingWindow
from services.registry.service_layer.selfservice import SelfService
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.registry.settings import RegistrySettings
from shared.signin_code import code_key
from shared.web import PageRenderer, make_environment, mount_assets

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
        payload = json.dumps({"c": carer_id, "e": int(self.clock().timestamp()) + seconds})
        encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        self._set(response, SESSION_COOKIE, f"{encoded}.{self._sign(encoded)}", seconds)
        response.delete_cookie(CHALLENGE_COOKIE, path=PREFIX)

    def end_session(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        response.delete_cookie(CHALLENGE_COOKIE, path=PREFIX)

    def session_carer(self, request: Request) -> str | None:
        """The signed-in carer's id, or None (no cookie, a forged one, or expired)."""
        value = request.cookies.get(SESSION_COOKIE, "")
        encoded, _, signature = value.partition(".")
        if not encoded or not hmac.compare_digest(self._sign(encoded), signature):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except ValueError:
            return None
        if int(payload.get("e", 0)) <= self.clock().timestamp():
            return None
        return str(payload["c"])

    def set_challenge(self, response: Response, challenge_id: str) -> None:
        self._set(
            response, CHALLENGE_COOKIE, challenge_id, self.settings.selfservice_code_minutes * 60
        )

    def _sign(self, encoded: str) -> str:
        return hmac.new(self.session_key, encoded.encode(), hashlib.sha256).hexdigest()


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
    mount_assets(app)
    app.include_router(selfservice.router)
    app.include_router(selfservice_account.router)
    return web
