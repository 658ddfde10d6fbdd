"""The outbox relay: publishes committed outbox rows to Kafka, in order, then deletes them.

Every record carries the Kafka header ``content-type: application/cloudevents+json``: the
values are structured-mode CloudEvents, and the Kafka protocol binding says so with that header.

Rows are read in ``id`` order and sent through one idempotent producer, so events for one
key keep their order on its partition. A row is deleted only after the broker acknowledged
it (acks=all): a crash in between republishes it, and consumers drop the repeat through
their inbox. So the relay gives at-least-once delivery, and the inbox turns it into
exactly-once effect.

Several instances of a service may run; one of them is the relay and the others wait,
because two relays would interleave and could reorder a key's events: on PostgreSQL a
session-level advisory lock decides, on SQLite an exclusive lock on a file beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.events.binary import STRUCTURED_HEADERS
from shared.faults import failpoint
from shared.messaging.authorisation import KafkaDenials
from shared.messaging.leadership import Leadership, StoppedWaiting
from shared.messaging.tables import OutboxRecord

log = logging.getLogger(__name__)
OUTBOX = OutboxRecord.__table__  # type: ignore[attr-defined]
_DELETE_ANY = text("DELETE FROM outbox WHERE id = ANY(CAST(:ids AS bigint[]))")

# A hook for fault tests: called after the broker acknowledged a batch, before deleting it.
AfterPublishHook = Callable[[list[int]], Awaitable[None]]


def _headers(stored: str | None, value: bytes | None) -> list[tuple[str, bytes]] | None:
    """The record's Kafka headers: those stored with the row, else the structured-mode
    ``content-type`` that the CloudEvents Kafka binding (and strict consumers such as the
    Java SDK) use to tell a structured event from a binary one. A tombstone has none."""
    if stored:
        return [(k, v.encode()) for k, v in json.loads(stored).items()]
    return list(STRUCTURED_HEADERS) if value is not None else None


class OutboxRelay:
    """Moves outbox rows to Kafka. Start with :meth:`run`; :meth:`wake` after a commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        session_factory: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer | None = None,
        *,
        lock_name: str,
        batch_size: int = 1000,
        poll_seconds: float = 0.5,
        after_publish: AfterPublishHook | None = None,
        denials: KafkaDenials | None = None,
    ) -> None:
        self._engine = engine
        self._sessions = session_factory
        self._producer = producer
        self._leadership = Leadership(  # shared with the notifications dispatcher
            engine,
            lock_name,
            file_suffix="relay-lock",
            poll_seconds=poll_seconds,
            stopping=lambda: self._stopping,
        )
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._after_publish = after_publish
        self.denials = denials if denials is not None else KafkaDenials()
        self._wake = asyncio.Event()
        self.published = 0
        self.was_leader = False
        self._stopping = False

    def attach(self, producer: AIOKafkaProducer) -> None:
        """Give the relay its started producer (aiokafka clients need a running loop)."""
        self._producer = producer

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Publish until stopped (or cancelled); only while holding the relay lock."""
        while not self._stopping:
            try:
                async with self._leadership.held():
                    if self._stopping and not self.was_leader:
                        return  # became leader only as we stop: leave the rows to the next
                    self.was_leader = True
                    await self._loop()
                    return
            except asyncio.CancelledError:
                raise
            except StoppedWaiting:
                return
            except Exception as error:
                # A denied topic is logged once (there), then retried with back-off.
                if not self.denials.notice(error, "write"):
                    log.exception("outbox relay failed; retrying in 1 s")
                await asyncio.sleep(self.denials.retry_delay(error))

    async def stop(self, task: asyncio.Task[None], within_seconds: float = 10) -> None:
        """Publish what is pending and stop, still holding the lock; then the task ends.

        Why not cancel and drain afterwards: once cancelled the relay has released its
        lock, so another instance may lead and publish the same rows at the same time.
        """
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), within_seconds)
        except (TimeoutError, Exception):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _loop(self) -> None:
        while True:
            # Clear BEFORE looking: a commit that lands while we look sets it again, so it
            # is never missed (clearing after an empty look lost such a wake-up, and the
            # row then waited a whole poll interval).
            self._wake.clear()
            sent = await self.publish_pending()
            if sent == 0:
                if self._stopping:
                    return  # drained
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; the number published."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        OUTBOX.c.id, OUTBOX.c.topic, OUTBOX.c.key, OUTBOX.c.value, OUTBOX.c.headers
                    )
                    .order_by(OUTBOX.c.id)
                    .limit(self._batch_size)
                )
            ).all()
        if not rows:
            return 0
        assert self._producer is not None, "attach() a started producer first"
        send = self._producer.send
        deliveries = []
        for _id, topic, key, value, headers in rows:
            deliveries.append(
                await send(
                    topic,
                    value=value,
                    key=key.encode() if key is not None else None,
                    headers=_headers(headers, value),
                )
            )
        await asyncio.gather(*deliveries)
        ids = [row[0] for row in rows]
        failpoint("relay.after_publish")  # published, rows not yet deleted: republished
        if self._after_publish is not None:
            await self._after_publish(ids)
        async with self._sessions() as session:
            if self._engine.dialect.name == "postgresql":
                # One array parameter, not a thousand: the statement text never changes.
                await session.execute(_DELETE_ANY, {"ids": ids})
            else:
                await session.execute(delete(OUTBOX).where(OUTBOX.c.id.in_(ids)))
            await session.commit()
        self.published += len(ids)
        if self.denials:  # something was denied: what just went through is allowed again
            self.denials.allowed("topic", {row[1] for row in rows}, "write")
        return len(ids)
