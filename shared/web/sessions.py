"""Signed-out sessions, held server-side so a copied cookie stops working at sign-out.

Why: the staff cookie carries a signed bearer token and the self-service cookie a signed
session; both were valid until they expired, whatever the person did. Deleting the cookie
in the browser at sign-out leaves every copy of it (a shared PC's history, a proxy log, a
stolen value) working. Sign-out now writes the session's id to ``revoked_sessions`` in the
service's own database (a migration in each service with sign-in pages), and the cookie's
session is looked up there on every request that presents it. Rows are kept until the
session would have expired anyway, then swept.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import sqlalchemy as sa
from fastapi import Request
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

TABLE = "revoked_sessions"
_IS_REVOKED = text(f"SELECT 1 FROM {TABLE} WHERE session_id = :session_id")
_REVOKE = text(
    f"INSERT INTO {TABLE} (session_id, expires_at, revoked_at) "
    "VALUES (:session_id, :expires_at, :revoked_at)"
)
_SWEEP = text(f"DELETE FROM {TABLE} WHERE expires_at < :now")


def create_revoked_sessions_table(op: Any) -> None:
    """Used by the migration of every service with sign-in pages: the table defined once,
    beside the statements that read and write it."""
    op.create_table(
        TABLE,
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
    )


def token_id(token: str) -> str:
    """The session id of a staff cookie: its token's ``jti``, else a hash of the token."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        claims = {}
    jti = claims.get("jti")
    if isinstance(jti, str) and 0 < len(jti) <= 64:
        return jti
    return hashlib.sha256(token.encode()).hexdigest()


def token_expiry(token: str) -> datetime:
    """When the token expires (and its revocation can be forgotten); 24 h when unknown."""
    try:
        exp: Any = jwt.decode(token, options={"verify_signature": False}).get("exp")
        return datetime.fromtimestamp(float(exp), UTC)
    except (jwt.PyJWTError, TypeError, ValueError, OverflowError):
        return datetime.now(UTC) + timedelta(hours=24)


def _engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.runtime.engine
    return engine


async def is_revoked_in(engine: AsyncEngine, session_id: str) -> bool:
    async with engine.connect() as connection:
        found: Any = await connection.scalar(_IS_REVOKED, {"session_id": session_id})
    return found is not None


async def revoke_in(engine: AsyncEngine, session_id: str, expires_at: datetime) -> None:
    """Record the session as signed out (idempotent) and forget long-expired ones."""
    now = datetime.now(UTC)
    try:
        async with engine.begin() as connection:
            await connection.execute(_SWEEP, {"now": now})
            await connection.execute(
                _REVOKE, {"session_id": session_id, "expires_at": expires_at, "revoked_at": now}
            )
    except IntegrityError:
        pass  # signed out already


async def is_revoked(request: Request, session_id: str) -> bool:
    return await is_revoked_in(_engine(request), session_id)


async def revoke(request: Request, session_id: str, expires_at: datetime) -> None:
    await revoke_in(_engine(request), session_id, expires_at)
