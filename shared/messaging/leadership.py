"""One leader per database for work that must not run twice at once, across processes.

Why: several instances of a service may share a database, but some work must have a single
doer. The outbox relay (two would interleave and could reorder a key's events) and the
notifications dispatcher (Notify's rate limit is per API key: two dispatchers, each with its
own token bucket, would send at twice the limit) both take this lock before working, and
wait while another instance holds it.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection held
  for as long as the leader leads; if the process dies the server drops the connection and
  the lock with it.
- SQLite: an exclusive ``flock`` on a file beside the database (``<database>.<suffix>``); the
  kernel drops it when the process dies. An in-memory database has one process: no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import zlib
from collections.abc import AsyncIterator, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class StoppedWaiting(Exception):
    """Raised while waiting for the lock when the waiter was asked to stop."""


class Leadership:
    """The lock called ``name`` on ``engine``'s database; ``async with lead.held(): ...``."""

    def __init__(
        self,
        engine: AsyncEngine,
        name: str,
        *,
        file_suffix: str | None = None,
        poll_seconds: float = 0.5,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self._engine = engine
        self.lock_id = zlib.crc32(name.encode()) & 0x7FFFFFFF
        self._file_suffix = file_suffix or f"{name}-lock"
        self._poll_seconds = poll_seconds
        self._stopping = stopping

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Wait until this process leads, lead inside the block, then let go.

        Raises :class:`StoppedWaiting` if ``stopping()`` turns true while waiting.
        """
        dialect = self._engine.dialect.name
        if dialect == "postgresql":
            async with self._advisory_lock():
                yield
        elif dialect == "sqlite":
            async with self._file_lock():
                yield
        else:
            yield

    @contextlib.asynccontextmanager
    async def _advisory_lock(self) -> AsyncIterator[None]:
        async with self._engine.connect() as connection:
            await self._acquire(connection)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection has let go anyway
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:id)"), {"id": self.lock_id}
                    )

    async def _acquire(self, connection: AsyncConnection) -> None:
        while True:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": self.lock_id}
            )
            await connection.commit()
            if got:
                return
            if self._stopping():
                raise StoppedWaiting()
            await asyncio.sleep(self._poll_seconds)

    @contextlib.asynccontextmanager
    async def _file_lock(self) -> AsyncIterator[None]:
        database = self._engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.{self._file_suffix}", "a+b") as handle:  # noqa: ASYNC230 - tiny, local
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if self._stopping():
                        raise StoppedWaiting() from None
                    await asyncio.sleep(self._poll_seconds)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
