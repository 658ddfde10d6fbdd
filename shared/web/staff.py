"""Staff pages signed in with the project's bearer tokens (shared/auth.py).

APIs take ``Authorization: Bearer <token>``. A browser cannot add that header to a link or
a form, so staff pages also accept the same token from an HttpOnly, ``SameSite=Strict``
cookie, set by the sign-in page where a member of staff pastes the token their organisation
issued (``python -m shared.cli token --role council``). The token is checked exactly as the
API checks it: same secret, same roles, 401 without one, 403 for the wrong role. Forms on
cookie-signed pages must carry a CSRF token (:mod:`shared.web.csrf`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shared.auth import Principal, read_token
from shared.web.csrf import CsrfError, verify_csrf
from shared.web.forms import FieldError
from shared.web.templating import PageRenderer

COOKIE = "carers_staff_token"


def _secret(request: Request) -> str:
    return str(request.app.state.runtime.settings.token_secret)


def staff_principal(request: Request) -> Principal | None:
    """The caller from the bearer header, else from the staff cookie; None when neither."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    token = token or request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return read_token(_secret(request), token)
    except jwt.PyJWTError as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"invalid token: {error}",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


def require_staff(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency like ``require_role`` that also accepts the staff cookie."""

    async def check(request: Request) -> Principal:
        principal = staff_principal(request)
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a bearer token is required: sign in at /staff/sign-in",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role!r} may not do this; allowed: {', '.join(roles)}",
            )
        return principal

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
            read_token(_secret(request), token.strip())
        except jwt.PyJWTError:
            errors.append(FieldError("token", "Enter a valid staff token", "token"))
        if errors:
            context = {"errors": errors, "next": next}
            return renderer.render(request, "staff_sign_in.html", context, status_code=422)
        target = next if next.startswith("/") and not next.startswith("//") else after
        response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
        response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", path="/")
        return response

    @router.post("/staff/sign-out")
    async def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        try:
            verify_csrf(request, csrf_token, _secret(request))
        except CsrfError as error:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
        response = RedirectResponse(after, status_code=status.HTTP_303_SEE_OTHER)
        response.delete_cookie(COOKIE, path="/")
        return response

    return router
