"""Bearer tokens for partner staff and systems: a role and an organisation (contract 5).

Tokens are HS256 JWTs signed with ``TOKEN_SECRET``. ``python -m shared.cli token --role gp
--org C82001`` mints a development token. Missing or invalid token: 401; wrong role: 403.

Why an audience and a maximum lifetime: a token is a password that travels. Each token
names the services it is for (``aud``: registry, referrals, notifications, consultation) and
each service refuses a token not meant for it, so a token issued for one service is no key
to the others. A token whose lifetime (``exp - iat``) is longer than ``TOKEN_MAX_HOURS``
(12 h) is refused even before it expires: a token minted for a hundred years is refused at
once, not in a hundred years. Every token has an id (``jti``) so that one signed-in session
can be revoked (staff sign-out) without revoking the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

Role = Literal["gp", "hospital", "council", "vasl", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
ALGORITHM = "HS256"
ISSUER = "carers-connect"
SERVICES: tuple[str, ...] = (
    "registry",
    "referrals",
    "notifications",
    "consultation",
    "monitoring",
)
MAX_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Principal:
    """Who is calling: their role, organisation code and a subject for the audit log."""

    role: str
    org: str
    subject: str


def mint_token(
    secret: str,
    role: str,
    org: str,
    subject: str | None = None,
    ttl: timedelta = MAX_LIFETIME,
    services: Sequence[str] = SERVICES,
) -> str:
    """A signed token for ``role`` at ``org``, for the ``services`` named (default: all four)."""
    if role not in ROLES:
        raise ValueError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    unknown = sorted(set(services) - set(SERVICES))
    if unknown or not services:
        raise ValueError(f"services: {unknown or '[]'} not among {', '.join(SERVICES)}")
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": subject or f"{role}:{org}",
        "aud": list(services),
        "role": role,
        "org": org,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def token_claims(
    secret: str, token: str, *, audience: str, max_lifetime: timedelta = MAX_LIFETIME
) -> dict[str, Any]:
    """The checked claims of ``token``, for the service ``audience``; raises PyJWTError."""
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        audience=audience,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )
    lifetime = float(claims["exp"]) - float(claims["iat"])
    if lifetime > max_lifetime.total_seconds():
        hours = max_lifetime.total_seconds() / 3600
        raise jwt.InvalidTokenError(f"the token lives longer than the {hours:g} h allowed")
    if claims.get("role") not in ROLES:
        raise jwt.InvalidTokenError("unknown role")
    return claims


def read_token(
    secret: str, token: str, *, audience: str, max_lifetime: timedelta = MAX_LIFETIME
) -> Principal:
    claims = token_claims(secret, token, audience=audience, max_lifetime=max_lifetime)
    return Principal(role=claims["role"], org=str(claims.get("org", "")), subject=claims["sub"])


def read_token_for(request: Request, token: str) -> Principal:
    """``read_token`` with this service's secret, name (the audience) and lifetime limit."""
    settings = request.app.state.runtime.settings
    return read_token(
        settings.token_secret,
        token,
        audience=settings.service_name,
        max_lifetime=timedelta(hours=settings.token_max_hours),
    )


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return read_token_for(request, credentials.credentials)
    except jwt.PyJWTError as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"invalid token: {error}",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def admit(principal: Principal, roles: Sequence[str]) -> Principal:
    """``principal`` if its role is one of ``roles``; else 403 naming who may.

    The one role check: bearer-only APIs (:func:`require_role`) and staff pages that also
    take the cookie (``shared.web.staff.require_staff``) refuse alike.
    """
    if principal.role not in roles:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {principal.role!r} may not do this; allowed: {', '.join(roles)}",
        )
    return principal


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles``; others get 403 naming who may."""

    async def check(principal: CurrentPrincipal) -> Principal:
        return admit(principal, roles)

    return check
