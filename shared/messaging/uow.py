"""The unit of work: one transaction holding state changes, the inbox entry and the outbox.

Services subclass :class:`UnitOfWork` to add their repositories. Handlers never publish to
Kafka directly; they call :meth:`UnitOfWork.publish`, which queues an outbox row written in
the same transaction, and the relay publishes it after the commit. So a crash can never
leave a state change without its event, nor an event without its state change.

Inbox claims and outbox rows are written set-at-a-time (one statement per batch, not per
event): at thousands of events a second the round trips, not the rows, are the cost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import insert, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.events import CloudEvent
from shared.messaging.tables import InboxRecord, OutboxRecord, utcnow
from shared.metrics import EVENTS_PUBLISHED
from shared.telemetry import current_traceparent

INBOX = InboxRecord.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxRecord.__table__  # type: ignore[attr-defined]

# PostgreSQL: a whole batch as arrays in ONE statement whose text never changes, so asyncpg
# prepares it once per connection (a multi-row VALUES list differs with every batch size).
_CLAIM_UNNEST = text(
    "INSERT INTO inbox (source, event_id, event_type, processed_at) "
    "SELECT s, i, t, :at FROM unnest(CAST(:sources AS text[]), CAST(:ids AS text[]), "
    "CAST(:types AS text[])) AS claim(s, i, t) "
    "ON CONFLICT (source, event_id) DO NOTHING RETURNING source, event_id"
)
_OUTBOX_UNNEST = text(
    "INSERT INTO outbox (topic, key, value, headers, created_at) "
    "SELECT topic, key, value, headers, :at FROM unnest(CAST(:topics AS text[]), "
    "CAST(:keys AS text[]), CAST(:values AS bytea[]), CAST(:headers AS text[])) "
    "WITH ORDINALITY AS row(topic, key, value, headers, n) ORDER BY n"
)


class UnitOfWork:
    """An open transaction on a service database; commit explicitly, roll back otherwise."""

    session: AsyncSession

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        on_commit: Callable[[], None] | None = None,
        topic_namespace: str = "",
        service: str = "",
    ) -> None:
        self._session_factory = session_factory
        self._on_commit = on_commit
        self._namespace = topic_namespace
        self._outbox: list[dict[str, Any]] = []
        self._published = False
        self._published_types: list[str] = []
        self._service = service

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        await self.session.begin()
        self._outbox = []
        self._published = False
        self._published_types = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                # Detach what was read first, so it stays readable after the block rather
                # than being expired by the rollback of a transaction that only read.
                self.session.expunge_all()
                await self.session.rollback()
        finally:
            await self.session.close()

    @property
    def dialect(self) -> str:
        return self.session.bind.dialect.name if self.session.bind else "sqlite"

    async def flush(self) -> None:
        """Write what the repositories and the outbox hold, still inside the transaction."""
        await self.session.flush()
        if self._outbox:
            rows, self._outbox = self._outbox, []
            if self.dialect == "postgresql":
                await self.session.execute(
                    _OUTBOX_UNNEST,
                    {
                        "topics": [r["topic"] for r in rows],
                        "keys": [r["key"] for r in rows],
                        "values": [r["value"] for r in rows],
                        "headers": [r["headers"] for r in rows],
                        "at": utcnow(),
                    },
                )
            else:
                await self.session.execute(insert(OUTBOX), rows)

    async def commit(self) -> None:
        published = self._published
        await self.flush()
        await self.session.commit()
        for event_type in self._published_types:
            EVENTS_PUBLISHED.labels(self._service, event_type).inc()
        self._published_types = []
        if published and self._on_commit is not None:
            self._on_commit()  # wake the relay now rather than at its next poll

    async def rollback(self) -> None:
        self._outbox = []
        self._published_types = []
        await self.session.rollback()

    async def claim_many(self, events: Iterable[tuple[str, str, str]]) -> set[tuple[str, str]]:
        """Record each (source, id, type) as processed; return the pairs that were new.

        ON CONFLICT DO NOTHING rather than catching an IntegrityError, so a duplicate does
        not abort the rest of the transaction on PostgreSQL; RETURNING names the new ones.
        """
        claims = list(events)
        if not claims:
            return set()
        if self.dialect == "postgresql":
            sources, ids, types = (list(column) for column in zip(*claims, strict=True))
            result = await self.session.execute(
                _CLAIM_UNNEST, {"sources": sources, "ids": ids, "types": types, "at": utcnow()}
            )
            return {(row.source, row.event_id) for row in result}
        now = utcnow()
        rows = [
            {"source": s, "event_id": i, "event_type": t, "processed_at": now} for s, i, t in claims
        ]
        insert_ = sqlite_insert
        # One statement executed for many rows ("insertmanyvalues"): compiled once, cached.
        statement = (
            insert_(INBOX)
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(INBOX.c.source, INBOX.c.event_id, sort_by_parameter_order=True)
        )
        result = await self.session.execute(statement, rows)
        return {(row.source, row.event_id) for row in result}

    def publish(self, topic: str, key: str | None, event: CloudEvent | None) -> None:
        """Queue an event (or a tombstone, ``None``) for the relay, in this transaction."""
        if event is not None and event.traceparent is None:
            event = event.model_copy(update={"traceparent": current_traceparent()})
        if event is not None:
            self._published_types.append(event.type)
        self.publish_raw(topic, key, event.to_bytes() if event is not None else None)

    def emit(
        self, topic: str, key: str | None, type: str, source: str, data: dict[str, Any]
    ) -> None:
        """Queue a new event (``CloudEvent.new``) with ``key`` as its subject, cheaply.

        For hot paths: the envelope is written straight to bytes, with the current trace.
        """
        self._published_types.append(type)
        value = CloudEvent.new_bytes(type, source, key, data, current_traceparent())
        self.publish_raw(topic, key, value)

    def publish_raw(
        self,
        topic: str,
        key: str | None,
        value: bytes | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._outbox.append(
            {
                "topic": self._namespace + topic,
                "key": key,
                "value": value,
                "headers": json.dumps(headers) if headers else None,
                "created_at": utcnow(),
            }
        )
        self._published = True
