"""Turning a batch of Kafka records into handled events, safely.

For each batch, in ONE database transaction:
1. a record that is not a valid event is dead-lettered with the reason (via the outbox);
   a binary-mode CloudEvent (``ce_*`` headers, JSON value) is read as its structured form
   first (``shared.events.binary``), so both modes meet the same rules and the same inbox;
2. a valid event whose (source, id) is already in the inbox is skipped: a redelivery;
3. every other event is recorded in the inbox and handed to its handler, which changes
   state and queues the events it causes in the outbox.
The transaction commits before the subscriber acknowledges, so offsets are committed only
after the work is durable. A handler that finds an event unprocessable (say, consent for an
unknown carer) raises :class:`Unprocessable`; the batch is rolled back and run again with
that event dead-lettered, so no other event's work is lost or done twice. Any other error
(the database is down) propagates: the subscriber seeks back and the batch is redelivered.

A service may give a *batch handler* for an event type: consecutive events handled by the
same batch handler (one type, or several types given the same function) are handed over
together, so the handler can read and write set-at-a-time. Only consecutive runs are
grouped, so events keep their order.

A service may also declare *after handlers* (``after_handlers``), keyed by event type: once
an event's handler (or its run's batch handler) has succeeded, the events of that type are
handed to the after handler in the same transaction. This is the extension point for a part
of a service that keeps its own tables in step with the main handlers (the registry's
self-service references) without wrapping them. Consecutive events sharing one after handler
are handed over together; an after handler may raise :class:`Unprocessable` like a handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared import metrics, topics
from shared.events import CONTENT_TYPE, CloudEvent, InvalidEvent
from shared.events.binary import kafka_value
from shared.faults import failpoint
from shared.messaging.deadletter import RawRecord, dead_letter_value
from shared.messaging.uow import UnitOfWork
from shared.telemetry import continued_span

DEAD_LETTER_HEADERS = {"content-type": CONTENT_TYPE}
"""A dead letter is a structured-mode CloudEvent (``shared.messaging.deadletter``)."""

log = logging.getLogger(__name__)

U = TypeVar("U", bound=UnitOfWork)
Event = tuple[CloudEvent, Any]
Handler = Callable[[CloudEvent, Any, U], Awaitable[None]]
BatchHandler = Callable[[list[Event], U], Awaitable[None]]
AfterHandler = Callable[[list[Event], U], Awaitable[None]]
"""Called with the events just handled (one, or a run), in the same transaction."""
Parser = Callable[[bytes], tuple[CloudEvent, BaseModel]]


class Unprocessable(Exception):
    """A valid event that cannot be applied; it goes to the dead-letter topic with ``reason``.

    A batch handler names the event (``event_id``) so only that one is set aside.
    """

    def __init__(self, reason: str, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


@dataclass
class BatchOutcome:
    processed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    ignored: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class _Batch:
    records: Sequence[RawRecord]
    parsed: dict[int, Event] = field(default_factory=dict)
    dead: dict[int, str] = field(default_factory=dict)
    skipped: set[int] = field(default_factory=set)


class EventProcessor(Generic[U]):
    """Validate, deduplicate, handle and dead-letter batches of records for one service."""

    def __init__(
        self,
        service: str,
        uow_factory: Callable[[], U],
        handlers: Mapping[str, Handler[U]],
        parse: Parser,
        *,
        batch_handlers: Mapping[str, BatchHandler[U]] | None = None,
        ignored: Collection[str] = (),
        retry_delay_seconds: float = 1.0,
        after_handlers: Mapping[str, AfterHandler[U]] | None = None,
    ) -> None:
        self.service = service
        self._uow_factory = uow_factory
        self._handlers = handlers
        self._batch_handlers = batch_handlers or {}
        self._after = after_handlers or {}
        self._parse = parse
        self._ignored = frozenset(ignored)
        self._retry_delay = retry_delay_seconds

    @property
    def handled_types(self) -> frozenset[str]:
        return frozenset(self._handlers) | frozenset(self._batch_handlers)

    async def process(self, records: Sequence[RawRecord]) -> BatchOutcome:
        batch = self._parse_all(records)
        try:
            while True:
                outcome = await self._attempt(batch)
                if outcome is not None:
                    return outcome
        except Exception:
            log.exception("batch failed in %s; it will be redelivered", self.service)
            await asyncio.sleep(self._retry_delay)  # do not spin against a broken database
            raise

    def _parse_all(self, records: Sequence[RawRecord]) -> _Batch:
        batch = _Batch(records)
        handled = self.handled_types
        for index, record in enumerate(records):
            try:
                value = record.value or b""
                if record.headers:  # binary mode (ce_* headers) becomes the structured form
                    value = kafka_value(record.headers, value)
                envelope, body = self._parse(value)
            except InvalidEvent as invalid:
                if invalid.event is not None and invalid.event.type in self._ignored:
                    batch.skipped.add(index)  # not ours to judge: we do not read this type
                else:
                    batch.dead[index] = invalid.reason
                continue
            if envelope.type in self._ignored:
                batch.skipped.add(index)
            elif envelope.type not in handled:
                batch.dead[index] = (
                    f"envelope.type: {envelope.type!r} is not handled by {self.service} "
                    f"on {record.topic}"
                )
            else:
                batch.parsed[index] = (envelope, body)
        return batch

    async def _attempt(self, batch: _Batch) -> BatchOutcome | None:
        outcome = BatchOutcome(ignored=len(batch.skipped))
        async with self._uow_factory() as uow:
            # Why: Kafka delivers at least once; a repeated (source, id) has no effect, and a
            # redelivered bad record is not dead-lettered twice (its position is its id).
            claims = {}
            for index, record in enumerate(batch.records):
                if index in batch.dead:
                    claims[index] = (record.inbox_source, str(record.offset), "deadletter")
                elif index in batch.parsed:
                    envelope = batch.parsed[index][0]
                    claims[index] = (envelope.source, envelope.id, envelope.type)
            new = await uow.claim_many(claims.values())
            run: list[Event] = []
            run_handler: BatchHandler[U] | None = None
            for index, record in enumerate(batch.records):
                if index not in claims:
                    continue
                pair = claims[index][:2]
                if pair not in new:
                    outcome.duplicates += 1
                    continue
                new.discard(pair)  # a second copy later in this same batch is a duplicate
                if index in batch.dead:
                    self._dead_letter(uow, record, batch.dead[index], outcome)
                    continue
                envelope, body = batch.parsed[index]
                handler = self._batch_handlers.get(envelope.type)
                if run and handler is not run_handler:
                    if not await self._handle_run(run, uow, batch, outcome):
                        return None
                    run = []
                if handler is not None:
                    run.append((envelope, body))
                    run_handler = handler
                elif not await self._handle_one(envelope, body, uow, batch, outcome):
                    return None
            if run and not await self._handle_run(run, uow, batch, outcome):
                return None
            await uow.commit()
        metrics.EVENTS_PROCESSED.labels(self.service).inc(outcome.processed)
        metrics.DUPLICATES.labels(self.service).inc(outcome.duplicates)
        metrics.DEAD_LETTERS.labels(self.service).inc(outcome.dead_lettered)
        failpoint("processor.after_commit")  # committed, offsets not yet: redelivery follows
        return outcome

    def _dead_letter(self, uow: U, record: RawRecord, reason: str, outcome: BatchOutcome) -> None:
        key = record.key.decode("utf-8", "replace") if record.key is not None else None
        value = dead_letter_value(record, self.service, reason)
        uow.publish_raw(topics.DEADLETTER, key, value, DEAD_LETTER_HEADERS)
        outcome.dead_lettered += 1
        outcome.reasons.append(reason)

    async def _handle_one(
        self, envelope: CloudEvent, body: Any, uow: U, batch: _Batch, outcome: BatchOutcome
    ) -> bool:
        with continued_span(
            f"{self.service}.{envelope.type}",
            envelope.traceparent,
            **{"cloudevents.event_type": envelope.type, "cloudevents.event_id": envelope.id},
        ):
            try:
                await self._handlers[envelope.type](envelope, body, uow)
                await self._after_handle([(envelope, body)], uow)
            except Unprocessable as refused:
                self._set_aside(batch, envelope.id, refused.reason)
                return False
        outcome.processed += 1
        return True

    async def _handle_run(
        self, run: list[Event], uow: U, batch: _Batch, outcome: BatchOutcome
    ) -> bool:
        try:
            await self._batch_handlers[run[0][0].type](run, uow)
            await self._after_handle(run, uow)
        except Unprocessable as refused:
            event_id = refused.event_id or run[0][0].id
            self._set_aside(batch, event_id, refused.reason)
            return False
        outcome.processed += len(run)
        return True

    async def _after_handle(self, events: list[Event], uow: U) -> None:
        """Hand the events just handled to their after handlers, consecutive ones together."""
        if not self._after:
            return
        group: list[Event] = []
        current: AfterHandler[U] | None = None
        for event in events:
            after = self._after.get(event[0].type)
            if group and after is not current and current is not None:
                await current(group, uow)
                group = []
            current = after
            if after is not None:
                group.append(event)
        if group and current is not None:
            await current(group, uow)

    def _set_aside(self, batch: _Batch, event_id: str, reason: str) -> None:
        """Dead-letter this event on the next attempt; the caller rolls back and retries."""
        for index, (envelope, _body) in list(batch.parsed.items()):
            if envelope.id == event_id:
                del batch.parsed[index]
                batch.dead[index] = reason
                log.info("event %s refused: %s", event_id, reason)
                return
        raise RuntimeError(f"Unprocessable names an event not in the batch: {event_id}")


def raw_records(message: Any) -> list[RawRecord]:
    """The records of a FastStream Kafka message, batch or single."""
    raw = message.raw_message
    records = raw if isinstance(raw, tuple | list) else (raw,)
    return [RawRecord.from_consumer_record(record) for record in records]
