"""Bearer tokens for partner staff and systems: a role and an organisation (contract 5).

Tokens are HS256 JWTs signed with ``TOKEN_SECRET``. ``python -m shared.cli token --role gp
--org C82001`` mints a development token. Missing or invalid token: 401; wrong role: 403.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
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
    ttl: timedelta = timedelta(hours=12),
) -> str:
    if role not in ROLES:
        raise ValueError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": subject or f"{role}:{org}",
        "role": role,
        "org": org,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str) -> Principal:
    claims = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["exp", "sub", "iss"]},
    )
    if claims.get("role") not in ROLES:
        raise jwt.InvalidTokenError("unknown role")
    return Principal(role=claims["role"], org=str(claims.get("org", "")), subject=claims["sub"])


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
    secret: str = request.app.state.runtime.settings.token_secret
    try:
        return read_token(secret, credentials.credentials)
    except jwt.PyJWTError as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"invalid token: {error}",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles``; others get 403 naming who may."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role!r} may not do this; allowed: {', '.join(roles)}",
            )
        return principal

    return check
