"""Staff pages signed in with the project's bearer tokens (shared/auth.py).

APIs take ``Authorization: Bearer <token>``. A browser cannot add that header to a link or
a form, so staff pages also accept the same token from an HttpOnly, ``SameSite=Strict``
cookie, set by the sign-in page where a member of staff pastes the token their organisation
issued (``python -m shared.cli token --role council``). The token is checked exactly as the
API checks it: same secret, audience and lifetime limit, same roles, 401 without one, 403
for the wrong role. Every state-changing request signed in by the cookie, form or JSON,
must carry the CSRF token (:mod:`shared.web.csrf`). Signing out revokes the cookie's token
server-side (:mod:`shared.web.sessions`), so a copy of the cookie is refused afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shared.auth import Principal, admit, read_token_for
from shared.web import sessions
from shared.web.csrf import FIELD, HEADER, CsrfError, cookie_secure, verify_csrf
from shared.web.forms import FieldError
from shared.web.negotiation import is_form
from shared.web.templating import PageRenderer

COOKIE = "carers_staff_token"


def _secret(request: Request) -> str:
    return str(request.app.state.runtime.settings.token_secret)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() or None if header.lower().startswith("bearer ") else None


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, reason, headers={"WWW-Authenticate": "Bearer"}
    )


def staff_principal(request: Request) -> Principal | None:
    """The caller from the bearer header, else from the staff cookie; None when neither.

    Checks the token only: :func:`staff_caller` also refuses a signed-out cookie and a
    cookie-signed post without its CSRF token, and is what routes should use.
    """
    token = _bearer(request) or request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return read_token_for(request, token)
    except jwt.PyJWTError as error:
        raise _unauthorised(f"invalid token: {error}") from None


async def staff_caller(request: Request) -> Principal | None:
    """:func:`staff_principal`, with the rules for a caller signed in by the cookie.

    A cookie from a session signed out is refused (401), and a state-changing request
    signed in by the cookie must carry the CSRF token, as the ``csrf_token`` form field or
    the ``X-CSRF-Token`` header (403). A bearer header needs neither.
    """
    principal = staff_principal(request)
    if principal is None or _bearer(request) is not None:
        return principal
    cookie = request.cookies[COOKIE]
    if await sessions.is_revoked(request, sessions.token_id(cookie)):
        raise _unauthorised("this staff session was signed out: sign in at /staff/sign-in")
    if request.method not in SAFE_METHODS:
        submitted = request.headers.get(HEADER)
        if submitted is None and is_form(request):
            submitted = str((await request.form()).get(FIELD) or "")
        try:
            verify_csrf(request, submitted, _secret(request))
        except CsrfError as error:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"{FIELD}: signed in by cookie, so the request needs the page's CSRF token "
                f"(form field {FIELD} or header X-CSRF-Token): {error}",
            ) from None
    return principal


def _verifies(request: Request, token: str) -> bool:
    try:
        read_token_for(request, token)
    except jwt.PyJWTError:
        return False
    return True


def require_staff(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency like ``require_role`` that also accepts the staff cookie."""

    async def check(request: Request) -> Principal:
        principal = await staff_caller(request)
        if principal is None:
            raise _unauthorised("a bearer token is required: sign in at /staff/sign-in")
        return admit(principal, roles)

    return check


def sign_in_router(renderer: PageRenderer, *, after: str = "/") -> APIRouter:
    """``GET/POST /staff/sign-in`` and ``POST /staff/sign-out`` pages for a service."""
    router = APIRouter(tags=["staff"], include_in_schema=False)

    @router.get("/staff/sign-in", response_class=HTMLResponse)
    async def sign_in_page(request: Request, next: str = after) -> Response:
        return renderer.render(request, "staff_sign_in.html", {"errors": [], "next": next})

    @router.post("/staff/sign-in", response_class=HTMLResponse)
    async def sign_in(
        request: Request,
        token: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = after,
    ) -> Response:
        try:
            verify_csrf(request, csrf_token, _secret(request))
        except CsrfError as error:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
        errors: list[FieldError] = []
        try:
            read_token_for(request, token.strip())
        except jwt.PyJWTError:
            errors.append(FieldError("token", "Enter a valid staff token", "token"))
        if errors:
            context = {"errors": errors, "next": next}
            return renderer.render(request, "staff_sign_in.html", context, status_code=422)
        target = next if next.startswith("/") and not next.startswith("//") else after
        response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
        response.set_cookie(
            COOKIE,
            token.strip(),
            httponly=True,
            samesite="strict",
            path="/",
            secure=cookie_secure(request),
        )
        return response

    @router.post("/staff/sign-out")
    async def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        try:
            verify_csrf(request, csrf_token, _secret(request))
        except CsrfError as error:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
        cookie = request.cookies.get(COOKIE)
        if cookie and _verifies(request, cookie):
            # Server-side: the cookie stops working here even if a copy of it survives.
            await sessions.revoke(request, sessions.token_id(cookie), sessions.token_expiry(cookie))
        response = RedirectResponse(after, status_code=status.HTTP_303_SEE_OTHER)
        response.delete_cookie(COOKIE, path="/", secure=cookie_secure(request), httponly=True)
        return response

    return router
