"""An in-memory unit of work honouring the notifications one's interface (cosmicpython's
FakeUnitOfWork), so the service layer's rules run in milliseconds with no database.

It keeps what the real repositories keep (send records by id, contacts by carer, the
outbox) and makes the same moves: the dispatcher's set-at-a-time claim and record go through
:class:`SendRecord`'s own ``claim`` and ``record_sent`` here. Commit and rollback are real:
a block left without commit loses its changes, as a transaction would.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from services.notifications.adapters.orm import NotificationRow
from services.notifications.domain.model import Contact
from services.notifications.domain.send_record import SendRecord, Status
from shared.events import CloudEvent


class FakeSendRecords:
    def __init__(self, rows: dict[str, SendRecord]) -> None:
        self.rows = rows
        self.made_ready = False

    async def existing_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = set(keys)
        return {r.idempotency_key for r in self.rows.values() if r.idempotency_key in wanted}

    async def add(self, records: Sequence[SendRecord]) -> None:
        for record in records:
            if record.idempotency_key in await self.existing_keys([record.idempotency_key]):
                raise AssertionError(f"unique index: {record.idempotency_key} twice")
            self.rows[record.notification_id] = record
            self.made_ready |= record.ready

    def add_row(self, row: NotificationRow) -> None:
        fields = {name: getattr(row, name) for name in SendRecord.__dataclass_fields__}
        fields.pop("events")
        self.rows[row.notification_id] = SendRecord(**fields)

    async def by_reference(self, reference: str) -> SendRecord | None:
        if reference in self.rows:
            return self.rows[reference]
        return next((r for r in self.rows.values() if r.provider_reference == reference), None)

    async def unsent_for(
        self, carer_ids: str | Iterable[str], statuses: frozenset[str]
    ) -> list[SendRecord]:
        ids = {carer_ids} if isinstance(carer_ids, str) else set(carer_ids)
        return [r for r in self.rows.values() if r.carer_id in ids and r.status in statuses]

    async def claimed(self, ids: list[str]) -> list[SendRecord]:
        return [self.rows[i] for i in ids if i in self.rows]

    async def flush(self) -> None:
        self.made_ready |= any(r.ready for r in self.rows.values())

    async def erase_carer(self, carer_id: str, reason: str) -> None:
        for record in self.rows.values():
            if record.carer_id == carer_id:
                if record.status in Status.UNSENT:
                    record.status, record.reason = Status.CANCELLED, reason
                record.recipient = record.subject = record.body = None

    async def reassign(self, from_carer: str, to_carer: str) -> None:
        for record in self.rows.values():
            if record.carer_id == from_carer:
                record.carer_id = to_carer

    async def listed(
        self, carer_id: str | None = None, status: str | None = None, limit: int = 500
    ) -> list[SendRecord]:
        return [
            copy.copy(r)
            for r in self.rows.values()
            if carer_id in (None, r.carer_id) and status in (None, r.status)
        ][:limit]

    async def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.rows.values():
            counts[record.status] = counts.get(record.status, 0) + 1
        return counts

    def _due(self, now: datetime) -> list[SendRecord]:
        pending = [r for r in self.rows.values() if r.status == Status.PENDING]
        return [r for r in pending if r.not_before is None or r.not_before <= now]

    async def next_due_time(self) -> datetime | None:
        times = [r.not_before for r in self.rows.values() if r.status == Status.PENDING]
        return min((t for t in times if t is not None), default=None)

    async def release_claimed(self) -> int:
        claimed = [r for r in self.rows.values() if r.status == Status.CLAIMED]
        for record in claimed:
            record.release(datetime.now(UTC))
        return len(claimed)

    async def claim_due(
        self, now: datetime, limit: int, providers: Mapping[str, str]
    ) -> tuple[list[SendRecord], int]:
        due = self._due(now)
        sendable = [r for r in due if r.recipient and r.body and r.channel in providers]
        for record in sendable[:limit]:
            record.claim(providers[record.channel], now)
        if sendable:
            return [copy.copy(r) for r in sendable[:limit]], len(sendable[:limit])
        for record in due:
            record.cancel("nothing to send: details erased", now)
        return [], len(due)

    async def still_claimed(self, ids: Sequence[str]) -> list[SendRecord]:
        return [self.rows[i] for i in ids if self.rows[i].status == Status.CLAIMED]

    async def mark_sent(self, sent: Sequence[tuple[str, str]], now: datetime) -> list[SendRecord]:
        recorded = []
        for notification_id, reference in sent:
            record = self.rows[notification_id]
            if record.status == Status.CLAIMED:
                record.record_sent(reference, now)
                record.events.clear()  # the dispatcher publishes these itself (publish_sent)
                recorded.append(record)
        return recorded


class FakeContactBook:
    def __init__(self, contacts: dict[str, Contact]) -> None:
        self.contacts = contacts

    async def get(self, carer_ids: Iterable[str]) -> dict[str, Contact]:
        return {c: self.contacts[c] for c in set(carer_ids) if c in self.contacts}

    async def save(self, contacts: Iterable[Contact]) -> list[Contact]:
        latest = {c.carer_id: c for c in contacts}
        for carer_id, contact in latest.items():
            known = self.contacts.get(carer_id)
            opted_out = known is not None and known.email_opted_out
            self.contacts[carer_id] = replace(contact, email_opted_out=opted_out)
        return [self.contacts[c] for c in latest]

    async def opt_out_of_email(self, carer_id: str) -> bool:
        if carer_id not in self.contacts:
            return False
        self.contacts[carer_id] = self.contacts[carer_id].opted_out_of_email()
        return True

    async def forget(self, carer_id: str) -> None:
        self.contacts.pop(carer_id, None)


class FakeReadAudit:
    def __init__(self) -> None:
        self.reads: list[dict[str, Any]] = []

    def record(self, **entry: Any) -> None:
        self.reads.append(entry)


class FakeUnitOfWork:
    """Committed state lives on the instance; each ``async with`` works on a copy of it."""

    def __init__(self) -> None:
        self.records: dict[str, SendRecord] = {}
        self.contact_details: dict[str, Contact] = {}
        self.published: list[tuple[str, str | None, dict[str, Any]]] = []
        self.commits = 0
        self.wakes = 0
        self.read_audit = FakeReadAudit()

    async def __aenter__(self) -> Self:
        self.sends = FakeSendRecords(copy.deepcopy(self.records))
        self.contact_book = FakeContactBook(dict(self.contact_details))
        self._outbox: list[tuple[str, str | None, dict[str, Any]]] = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._outbox = []  # not committed: gone

    async def commit(self) -> None:
        await self.sends.flush()
        self.records = copy.deepcopy(self.sends.rows)
        self.contact_details = dict(self.contact_book.contacts)
        self.published += self._outbox
        self._outbox = []
        self.commits += 1
        if self.sends.made_ready:
            self.wakes += 1
        self.sends.made_ready = False

    async def rollback(self) -> None:
        await self.__aenter__()

    def publish(self, topic: str, key: str | None, event: CloudEvent | None) -> None:
        assert event is not None
        self._outbox.append((topic, key, json.loads(event.to_bytes())))

    def emit(
        self, topic: str, key: str | None, type: str, source: str, data: dict[str, Any]
    ) -> None:
        self._outbox.append((topic, key, {"type": type, "source": source, "data": data}))

    def __call__(self) -> FakeUnitOfWork:
        """The factory the dispatcher takes: the same store each time."""
        return self

    def event_types(self, notification_id: str | None = None) -> list[str]:
        return [
            event["type"]
            for _, _, event in self.published
            if notification_id in (None, event["data"].get("notification_id"))
        ]
