"""An in-memory unit of work for the registry's service layer (cosmicpython's FakeUnitOfWork).

It honours the interface the handlers use of :class:`RegistryUnitOfWork` and
:class:`CarerRepository` (find, preload, lock, add, changed, hold for review, erase; the
inbox's ``claim_many``; the outbox's ``publish``/``emit``), keeping state in a shared
:class:`FakeDatabase` so a second unit of work sees what the first committed, and a rollback
(leaving the block without ``commit``) loses what it did, as the SQL one would.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from services.registry.domain.model import Carer
from shared.events import CloudEvent


@dataclass
class FakeDatabase:
    """What is committed: carer documents, reviews, the inbox, the outbox, claims, erasures."""

    carers: dict[str, dict[str, Any]] = field(default_factory=dict)
    reviews: list[Any] = field(default_factory=list)
    inbox: set[tuple[str, str]] = field(default_factory=set)
    outbox: list[tuple[str, str | None, str | None, dict[str, Any] | None]] = field(
        default_factory=list
    )
    rows: list[Any] = field(default_factory=list)
    erased: set[str] = field(default_factory=set)
    commits: int = 0

    def published(self, event_type: str) -> list[dict[str, Any]]:
        return [data or {} for _, _, t, data in self.outbox if t == event_type]


class FakeSession:
    """Just enough of a session for helpers that add ORM rows (claims, audit)."""

    def __init__(self) -> None:
        self.added: list[Any] = []

    def add(self, row: Any) -> None:
        self.added.append(row)


class FakeCarerRepository:
    """The carer repository's interface, in memory."""

    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.lock_rows = True
        self._by_id: dict[str, Carer] = {}
        self.reviews: list[Any] = []
        self.erased: set[str] = set()
        self.audited: list[Any] = []

    def _all(self) -> list[Carer]:
        for carer_id, document in self._db.carers.items():
            if carer_id not in self._by_id:
                self._by_id[carer_id] = Carer.from_document(copy.deepcopy(document))
        return list(self._by_id.values())

    async def lock(self, keys: Iterable[str]) -> None:
        list(keys)

    async def preload(self, nhs_numbers: Iterable[str], match_keys: Iterable[str]) -> None:
        list(nhs_numbers), list(match_keys)

    def find_by_nhs_number(self, nhs_number: str) -> Carer | None:
        return next((c for c in self._all() if c.nhs_number == nhs_number), None)

    def find_by_match_key(self, key: str, *, without_nhs_number: bool = False) -> list[Carer]:
        found = [c for c in self._all() if c.match_key == key]
        return [c for c in found if c.nhs_number is None] if without_nhs_number else found

    async def get(self, carer_id: str) -> Carer | None:
        return next((c for c in self._all() if c.carer_id == carer_id), None)

    async def by_nhs_number(self, nhs_number: str) -> Carer | None:
        return self.find_by_nhs_number(nhs_number)

    def add(self, carer: Carer) -> None:
        self._by_id[carer.carer_id] = carer

    def changed(self, carer: Carer) -> None:
        self._by_id[carer.carer_id] = carer

    async def hold_for_review(self, review: Any) -> None:
        self.reviews.append(review)

    async def was_erased(self, carer_id: str) -> bool:
        return carer_id in self._db.erased or carer_id in self.erased

    async def erased_among(self, carer_ids: Iterable[str]) -> set[str]:
        return {i for i in carer_ids if await self.was_erased(i)}

    async def load(self, carer_ids: Iterable[str]) -> None:
        list(carer_ids)

    async def ids_after(self, after: str, limit: int) -> list[str]:
        return sorted(i for i in self._db.carers if i > after)[:limit]

    def audit(self, entry: Any) -> None:
        self.audited.append(entry)

    def record_access(self, **fields: Any) -> None:
        self.audited.append(fields)

    def commit_into(self, db: FakeDatabase) -> None:
        for carer in self._by_id.values():
            db.carers[carer.carer_id] = copy.deepcopy(carer.to_document())
        db.reviews += self.reviews
        db.erased |= self.erased


class FakeUnitOfWork:
    """A registry unit of work over a :class:`FakeDatabase`."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.attestor = None

    async def __aenter__(self) -> Self:
        self.carers = FakeCarerRepository(self.db)
        self.session = FakeSession()
        self._outbox: list[tuple[str, str | None, str | None, dict[str, Any] | None]] = []
        self._inbox: set[tuple[str, str]] = set()
        self.gp_changed: dict[str, Any] = {}
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None  # not committed: nothing reaches the database

    async def claim_many(self, events: Iterable[tuple[str, str, str]]) -> set[tuple[str, str]]:
        new = set()
        for source, event_id, _type in events:
            pair = (source, event_id)
            if pair not in self.db.inbox and pair not in self._inbox:
                self._inbox.add(pair)
                new.add(pair)
        return new

    def publish(self, topic: str, key: str | None, event: CloudEvent | None) -> None:
        data = event.data if event is not None else None
        self._outbox.append((topic, key, event.type if event else None, data))

    def emit(
        self, topic: str, key: str | None, event_type: str, source: str, data: dict[str, Any]
    ) -> None:
        self._outbox.append((topic, key, event_type, data))

    def publish_raw(self, topic: str, key: str | None, value: bytes, headers: Any) -> None:
        self._outbox.append((topic, key, "deadletter", {"value": value.decode()}))

    def note_gp_change(self, carer: Carer, at: datetime) -> None:
        if carer.gp_practice_ods if hasattr(carer, "gp_practice_ods") else None:
            self.gp_changed[carer.carer_id] = (carer, at)

    async def flush(self) -> None:
        return None

    async def commit(self) -> None:
        self.carers.commit_into(self.db)
        self.db.inbox |= self._inbox
        self.db.outbox += self._outbox
        self.db.rows += self.session.added
        self.db.commits += 1
        self._outbox, self._inbox = [], set()
