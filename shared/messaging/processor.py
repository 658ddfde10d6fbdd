"""Turning a batch of Kafka records into handled events, safely.

For each batch, in ONE database transaction:
1. a record that is not a valid event is dead-lettered with the reason (via the outbox);
2. a valid event whose (source, id) is already in the inbox is skipped: a redelivery;
3. every other event is recorded in the inbox and handed to its handler, which changes
   state and queues the events it causes in the outbox.
The transaction commits before the subscriber acknowledges, so offsets are committed only
after the work is durable. A handler that finds an event unprocessable (say, consent for an
unknown carer) raises :class:`Unprocessable`; the batch is rolled back and run again with
that event dead-lettered, so no other event's work is lost or done twice. Any other error
(the database is down) propagates: the subscriber seeks back and the batch is redelivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared import topics
from shared.events import CloudEvent, InvalidEvent
from shared.faults import failpoint
from shared.messaging.deadletter import RawRecord, dead_letter_value
from shared.messaging.uow import UnitOfWork
from shared.telemetry import continued_span

log = logging.getLogger(__name__)

U = TypeVar("U", bound=UnitOfWork)
Handler = Callable[[CloudEvent, Any, U], Awaitable[None]]
Parser = Callable[[bytes], tuple[CloudEvent, BaseModel]]


class Unprocessable(Exception):
    """A valid event that cannot be applied; it goes to the dead-letter topic with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class BatchOutcome:
    processed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    ignored: int = 0
    reasons: list[str] = field(default_factory=list)


class EventProcessor(Generic[U]):
    """Validate, deduplicate, handle and dead-letter batches of records for one service."""

    def __init__(
        self,
        service: str,
        uow_factory: Callable[[], U],
        handlers: Mapping[str, Handler[U]],
        parse: Parser,
        *,
        ignored: Collection[str] = (),
        retry_delay_seconds: float = 1.0,
    ) -> None:
        self.service = service
        self._uow_factory = uow_factory
        self._handlers = handlers
        self._parse = parse
        self._ignored = frozenset(ignored)
        self._retry_delay = retry_delay_seconds

    async def process(self, records: Sequence[RawRecord]) -> BatchOutcome:
        dead: dict[int, str] = {}
        parsed: dict[int, tuple[CloudEvent, BaseModel]] = {}
        skipped: set[int] = set()
        for index, record in enumerate(records):
            try:
                envelope, body = self._parse(record.value or b"")
            except InvalidEvent as invalid:
                if invalid.event is not None and invalid.event.type in self._ignored:
                    skipped.add(index)  # not ours to judge: we do not read this type
                else:
                    dead[index] = invalid.reason
                continue
            if envelope.type in self._ignored:
                skipped.add(index)
                continue
            if envelope.type not in self._handlers:
                dead[index] = (
                    f"envelope.type: {envelope.type!r} is not handled by {self.service} "
                    f"on {record.topic}"
                )
                continue
            parsed[index] = (envelope, body)
        try:
            while True:
                outcome = await self._attempt(records, parsed, dead, skipped)
                if outcome is not None:
                    return outcome
        except Exception:
            log.exception("batch failed in %s; it will be redelivered", self.service)
            await asyncio.sleep(self._retry_delay)  # do not spin against a broken database
            raise

    async def _attempt(
        self,
        records: Sequence[RawRecord],
        parsed: dict[int, tuple[CloudEvent, BaseModel]],
        dead: dict[int, str],
        skipped: set[int],
    ) -> BatchOutcome | None:
        outcome = BatchOutcome(ignored=len(skipped))
        async with self._uow_factory() as uow:
            for index, record in enumerate(records):
                if index in skipped:
                    continue
                if index in dead:
                    # Why: a redelivered bad record must not be dead-lettered twice.
                    if await uow.claim(record.inbox_source, str(record.offset), "deadletter"):
                        uow.publish_raw(
                            topics.DEADLETTER,
                            record.key.decode("utf-8", "replace") if record.key else None,
                            dead_letter_value(record, self.service, dead[index]),
                        )
                        outcome.dead_lettered += 1
                        outcome.reasons.append(dead[index])
                    continue
                envelope, body = parsed[index]
                # Why: Kafka delivers at least once; a repeated (source, id) has no effect.
                if not await uow.claim(envelope.source, envelope.id, envelope.type):
                    outcome.duplicates += 1
                    continue
                with continued_span(
                    f"{self.service}.{envelope.type}",
                    envelope.traceparent,
                    **{
                        "cloudevents.event_type": envelope.type,
                        "cloudevents.event_id": envelope.id,
                    },
                ):
                    try:
                        await self._handlers[envelope.type](envelope, body, uow)
                    except Unprocessable as refused:
                        dead[index] = refused.reason
                        log.info("event %s refused: %s", envelope.id, refused.reason)
                        return None  # roll back and run the batch again without it
                outcome.processed += 1
            await uow.commit()
        failpoint("processor.after_commit")  # committed, offsets not yet: redelivery follows
        return outcome


def raw_records(message: Any) -> list[RawRecord]:
    """The records of a FastStream Kafka message, batch or single."""
    raw = message.raw_message
    records = raw if isinstance(raw, tuple | list) else (raw,)
    return [RawRecord.from_consumer_record(record) for record in records]
