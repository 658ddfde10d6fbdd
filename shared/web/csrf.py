"""A signed double-submit CSRF token for forms a browser posts.

Why: staff pages are signed in with a cookie, so another site could make a signed-in
browser post a form to them. Each browser gets a random nonce in a ``SameSite=Strict``,
HttpOnly cookie; every form carries ``HMAC(secret, nonce)`` in a hidden ``csrf_token`` field.
Another site can neither read the cookie nor compute the HMAC.

A request the staff cookie signs in must carry the token whatever its content type (a form
field, or the ``X-CSRF-Token`` header for scripts): a cross-site ``text/plain`` post needs
no CORS preflight, and routes that parse JSON would otherwise read it (observed on
``POST /referrals/{id}/accept``). A request signed in by ``Authorization: Bearer`` needs no
token: a browser never adds that header to another site's request by itself.
:func:`shared.web.staff.require_staff` applies the rule.

Use: ``token = csrf_token(request, response)`` when rendering (sets the cookie when absent),
``verify_csrf(request, form_value, secret)`` when handling the post (raises
:class:`CsrfError`). Both cookies are ``Secure`` unless ``COOKIE_SECURE=false``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

COOKIE = "carers_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


def cookie_secure(request: Request) -> bool:
    """Whether this service marks its cookies ``Secure`` (``COOKIE_SECURE``, default true)."""
    runtime = getattr(request.app.state, "runtime", None)
    return bool(getattr(getattr(runtime, "settings", None), "cookie_secure", True))


class CsrfError(Exception):
    """The form's token is missing or does not match this browser's cookie (HTTP 403)."""


def _sign(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def _nonce(request: Request) -> str | None:
    nonce = request.cookies.get(COOKIE)
    if nonce is None:
        nonce = getattr(request.state, "csrf_nonce", None)
    return nonce


def csrf_token(request: Request, response: Response | None, secret: str) -> str:
    """The token to put in this page's forms; sets the browser's nonce cookie if needed."""
    nonce = _nonce(request)
    if nonce is None:
        nonce = secrets.token_urlsafe(24)
        request.state.csrf_nonce = nonce
    if response is not None and COOKIE not in request.cookies:
        response.set_cookie(
            COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            path="/",
            secure=cookie_secure(request),
        )
    return _sign(secret, nonce)


def verify_csrf(request: Request, submitted: str | None, secret: str) -> None:
    """Raise :class:`CsrfError` unless ``submitted`` is this browser's token."""
    nonce = request.cookies.get(COOKIE)
    if not nonce or not submitted:
        raise CsrfError("the form has expired: reload the page and try again")
    if not hmac.compare_digest(_sign(secret, nonce), submitted):
        raise CsrfError("the form's security token does not match: reload the page")
