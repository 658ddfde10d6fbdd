"""The unit of work: one transaction holding state changes, the inbox entry and the outbox.

Services subclass :class:`UnitOfWork` to add their repositories. Handlers never publish to
Kafka directly; they call :meth:`UnitOfWork.publish`, which writes an outbox row in the same
transaction, and the relay publishes it after the commit. So a crash can never leave a state
change without its event, nor an event without its state change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.events import CloudEvent
from shared.messaging.tables import InboxRecord, OutboxRecord
from shared.telemetry import current_traceparent


class UnitOfWork:
    """An open transaction on a service database; commit explicitly, roll back otherwise."""

    session: AsyncSession

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        on_commit: Callable[[], None] | None = None,
        topic_namespace: str = "",
    ) -> None:
        self._session_factory = session_factory
        self._namespace = topic_namespace
        self._on_commit = on_commit
        self._published = 0

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        await self.session.begin()
        self._published = 0
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
        if self._published and self._on_commit is not None:
            self._on_commit()  # wake the relay now rather than at its next poll

    async def rollback(self) -> None:
        await self.session.rollback()

    async def claim(self, source: str, event_id: str, event_type: str) -> bool:
        """Record (source, id) as processed; False when it already was (a redelivery).

        ON CONFLICT DO NOTHING rather than catching an IntegrityError, so a duplicate does
        not abort the rest of the transaction on PostgreSQL.
        """
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(InboxRecord)
            .values(source=source, event_id=event_id, event_type=event_type)
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
        )
        result = await self.session.exec(statement)  # type: ignore[call-overload]
        return bool(result.rowcount)

    def publish(self, topic: str, key: str | None, event: CloudEvent | None) -> None:
        """Queue an event (or a tombstone, ``None``) for the relay, in this transaction."""
        if event is not None and event.traceparent is None:
            event = event.model_copy(update={"traceparent": current_traceparent()})
        self.publish_raw(topic, key, event.to_bytes() if event is not None else None)

    def publish_raw(
        self,
        topic: str,
        key: str | None,
        value: bytes | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.session.add(
            OutboxRecord(
                topic=self._namespace + topic,
                key=key,
                value=value,
                headers=json.dumps(headers) if headers else None,
            )
        )
        self._published += 1
