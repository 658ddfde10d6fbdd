"""Alembic plumbing shared by the services' migration folders.

Each service keeps its own ``migrations/`` (its own database, its own history) with a
three-line ``env.py`` that calls :func:`run_env`. Migrations run as an explicit step
(``python -m services.<name> migrate``, done by the start scripts), never on import.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import pool
from sqlalchemy.engine import Connection

from shared.db import make_engine


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Bring a service database to ``revision`` (synchronous; call before the event loop)."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


async def upgrade_async(migrations_dir: Path, database_url: str) -> None:
    """The same from inside a running event loop (tests, benchmarks)."""
    await asyncio.to_thread(upgrade, migrations_dir, database_url)


def run_env(target_metadata: Any = None) -> None:
    """Body of every service's ``env.py``: run migrations online on the async engine."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = make_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
