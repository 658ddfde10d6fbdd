"""What the registry's ``bootstrap()`` plugs in from self-service: the pages and the after
handlers that keep the self-service tables in step with the registry's handlers."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import FastAPI

from services.registry.selfservice.domain.signin import AccessRules, SlidingWindow
from services.registry.selfservice.entrypoints import account, pages, questions, tell_us
from services.registry.selfservice.entrypoints.web import (
    PREFIX,
    TEMPLATES,
    SelfServiceWeb,
    SignedOutSessions,
)
from services.registry.selfservice.service_layer.bookkeeping import (
    AFTER_HANDLERS,
    REFERRAL_AFTER_HANDLERS,
)
from services.registry.selfservice.service_layer.use_cases import SelfService
from services.registry.settings import RegistrySettings
from shared.signin_code import code_key
from shared.web import PageRenderer, make_environment, mount_assets

__all__ = ["AFTER_HANDLERS", "REFERRAL_AFTER_HANDLERS", "install"]
ROUTERS = (pages.router, questions.router, tell_us.router, account.router)


def install(app: FastAPI, settings: RegistrySettings) -> SelfServiceWeb:
    """Serve the self-service pages (and the GOV.UK assets they use) from the registry.

    Routes reach the unit of work and the clock through ``entrypoints/deps.py``, as the
    registry's other routes do; ``app.state.selfservice`` holds what only these pages need.
    """
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
        session_key=session_key,
        state=app.state,
    )
    app.state.selfservice = web
    app.add_middleware(SignedOutSessions, web=web)
    mount_assets(app)
    for router in ROUTERS:
        app.include_router(router)
    return web
