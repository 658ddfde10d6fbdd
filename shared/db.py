"""Database engines for SQLite (the zero-set-up default) and PostgreSQL (CI and production).

Both run through SQLAlchemy's asyncio layer (aiosqlite, asyncpg) so a consumer never blocks
its event loop, and Kafka heartbeats keep flowing while a transaction waits on disk.

SQLite gets ``BEGIN IMMEDIATE``: each transaction takes the write lock when it starts, so
two writers serialise instead of both reading "no such carer" and both inserting one. WAL
mode lets readers carry on meanwhile.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ssl_connect_args(mode: str, root_cert: str | None) -> dict[str, Any]:
    """asyncpg's ``ssl`` for DATABASE_SSL_MODE: ``require`` encrypts, ``verify-full`` also
    checks the server's certificate and name against ``root_cert`` (or the system CAs)."""
    if mode == "disable":
        return {}
    if mode == "require":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return {"ssl": context}
    return {"ssl": ssl.create_default_context(cafile=root_cert)}


def make_engine(
    url: str, *, ssl_mode: str = "disable", ssl_root_cert: str | None = None, **kwargs: Any
) -> AsyncEngine:
    """An async engine with the settings each backend needs to be safe under concurrency."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    connect_args = ssl_connect_args(ssl_mode, ssl_root_cert)
    if connect_args:
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), **connect_args}
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
