"""Loading and saving carer records, and the locks that keep matching sound under concurrency.

The repository is an identity map over the transaction: a batch of identifications preloads
every record it could match in one query, matching then runs in memory (so two reports of
one person in the same batch meet each other), and :meth:`flush` writes new and changed
records set-at-a-time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, bindparam, delete, insert, or_, select, text, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registry.adapters.orm import (
    AuditEntry,
    CarerRow,
    ErasedCarer,
    MatchReview,
)
from services.registry.domain.model import Carer
from shared.messaging.tables import utcnow

CARERS = CarerRow.__table__  # type: ignore[attr-defined]
CHUNK = 500

# PostgreSQL: a batch's records as arrays in one statement of fixed text (prepared once).
_UNNEST = (
    "unnest(CAST(:ids AS text[]), CAST(:nhs_numbers AS text[]), CAST(:match_keys AS text[]), "
    "CAST(:categorys AS text[]), CAST(:versions AS int[]), CAST(:documents AS text[])) "
    "AS u(carer_id, nhs_number, match_key, category, version, document)"
)
_LOCK_INSERT = text(
    "INSERT INTO match_locks (key) SELECT unnest(CAST(:keys AS text[])) ON CONFLICT DO NOTHING"
)
_LOCK_SELECT = text(
    "SELECT key FROM match_locks WHERE key = ANY(CAST(:keys AS text[])) ORDER BY key FOR UPDATE"
)
_PRELOAD_SQL = (
    "SELECT document FROM carers WHERE nhs_number = ANY(CAST(:numbers AS text[])) "
    "OR match_key = ANY(CAST(:keys AS text[])) ORDER BY carer_id"
)
_PRELOAD = text(_PRELOAD_SQL)
_PRELOAD_LOCKING = text(_PRELOAD_SQL + " FOR UPDATE")
_INSERT_UNNEST = text(
    "INSERT INTO carers (carer_id, nhs_number, match_key, category, version, document, "
    f"created_at, updated_at) SELECT u.*, :at, :at FROM {_UNNEST}"
)
_UPDATE_UNNEST = text(
    "UPDATE carers SET nhs_number = u.nhs_number, match_key = u.match_key, "
    "category = u.category, version = u.version, document = u.document, updated_at = :at "
    f"FROM {_UNNEST} WHERE carers.carer_id = u.carer_id"
)


class CarerRepository:
    """Carer records in the registry database, read and written inside the caller's UoW."""

    def __init__(self, session: AsyncSession, *, lock_rows: bool = True) -> None:
        self.session = session
        # Rows read for change are locked (PostgreSQL) so two consumers never both update
        # one record from the same old version; HTTP reads turn this off.
        self.lock_rows = lock_rows
        self._by_id: dict[str, Carer] = {}
        self._by_nhs: dict[str, str] = {}
        self._by_key: dict[str, list[str]] = {}
        self._new: dict[str, Carer] = {}
        self._dirty: dict[str, Carer] = {}
        self._erased: set[str] = set()
        self._not_erased: set[str] = set()  # checked in this transaction

    @property
    def _dialect(self) -> str:
        return self.session.bind.dialect.name if self.session.bind else "sqlite"

    async def lock(self, keys: Iterable[str]) -> None:
        """Serialise every transaction that matches on any of ``keys``.

        PostgreSQL: a row per key, created if missing and locked FOR UPDATE in sorted order
        (so two transactions never wait on each other in a cycle); a second identification
        of the same person waits here until the first has committed its record, then sees
        it. SQLite: every write transaction already holds the database's write lock from its
        first statement (BEGIN IMMEDIATE), which serialises matching outright.
        """
        ordered = sorted({hashlib.sha256(k.encode()).hexdigest() for k in keys})
        if self._dialect != "postgresql" or not ordered:
            return
        await self.session.execute(_LOCK_INSERT, {"keys": ordered})
        await self.session.execute(_LOCK_SELECT, {"keys": ordered})

    async def preload(self, nhs_numbers: Iterable[str], match_keys: Iterable[str]) -> None:
        """Load every record holding one of these numbers or demographic keys."""
        numbers = [n for n in set(nhs_numbers) if n not in self._by_nhs]
        keys = [k for k in set(match_keys) if k not in self._by_key]
        looked_for = keys
        if self._dialect == "postgresql" and (numbers or keys):
            # Arrays, not IN lists: one statement text whatever the batch, prepared once.
            query = _PRELOAD_LOCKING if self.lock_rows else _PRELOAD
            rows = await self.session.execute(query, {"numbers": numbers, "keys": keys})
            for (document,) in rows:
                self._remember(Carer.from_document(orjson.loads(document)))
            numbers, keys = [], []
        for start in range(0, max(len(numbers), len(keys)), CHUNK):
            conditions = []
            if numbers[start : start + CHUNK]:
                conditions.append(CARERS.c.nhs_number.in_(numbers[start : start + CHUNK]))
            if keys[start : start + CHUNK]:
                conditions.append(CARERS.c.match_key.in_(keys[start : start + CHUNK]))
            rows = await self.session.execute(
                self._locking(
                    select(CARERS.c.document).where(or_(*conditions)).order_by(CARERS.c.carer_id)
                )
            )
            for (document,) in rows:
                self._remember(Carer.from_document(orjson.loads(document)))
        for key in looked_for:
            self._by_key.setdefault(key, [])

    def _locking(self, query: Select[Any]) -> Select[Any]:
        return (
            query.with_for_update() if self.lock_rows and self._dialect == "postgresql" else query
        )

    def find_by_nhs_number(self, nhs_number: str) -> Carer | None:
        carer_id = self._by_nhs.get(nhs_number)
        return self._by_id[carer_id] if carer_id else None

    def find_by_match_key(self, key: str, *, without_nhs_number: bool = False) -> list[Carer]:
        carers = [self._by_id[i] for i in self._by_key.get(key, [])]
        return [c for c in carers if c.nhs_number is None] if without_nhs_number else carers

    async def get(self, carer_id: str) -> Carer | None:
        if carer_id not in self._by_id:
            document = await self.session.scalar(
                self._locking(select(CARERS.c.document).where(CARERS.c.carer_id == carer_id))
            )
            if document is None:
                return None
            self._remember(Carer.from_document(orjson.loads(document)))
        return self._by_id[carer_id]

    async def by_nhs_number(self, nhs_number: str) -> Carer | None:
        await self.preload([nhs_number], [])
        return self.find_by_nhs_number(nhs_number)

    def add(self, carer: Carer) -> None:
        self._remember(carer)
        self._new[carer.carer_id] = carer

    def changed(self, carer: Carer) -> None:
        """Note a change: written at flush; the indexes learn a newly attached number."""
        self._remember(carer)
        if carer.carer_id not in self._new:
            self._dirty[carer.carer_id] = carer

    async def hold_for_review(self, review: MatchReview) -> None:
        self.session.add(review)

    async def flush(self) -> None:
        now = utcnow()
        new, dirty = list(self._new.values()), list(self._dirty.values())
        self._new, self._dirty = {}, {}
        if self._dialect == "postgresql":
            if new:
                await self.session.execute(_INSERT_UNNEST, {**self._arrays(new), "at": now})
            if dirty:
                await self.session.execute(_UPDATE_UNNEST, {**self._arrays(dirty), "at": now})
            return
        if new:
            await self.session.execute(
                insert(CARERS),
                [
                    {
                        **self._columns(c),
                        "carer_id": c.carer_id,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for c in new
                ],
            )
        if dirty:
            await self.session.execute(
                update(CARERS).where(CARERS.c.carer_id == bindparam("id")),
                [{**self._columns(c), "id": c.carer_id, "updated_at": now} for c in dirty],
            )

    def _arrays(self, carers: list[Carer]) -> dict[str, list[Any]]:
        rows = [self._columns(c) for c in carers]
        arrays: dict[str, list[Any]] = {"ids": [c.carer_id for c in carers]}
        for name in ("nhs_number", "match_key", "category", "version", "document"):
            arrays[name + "s"] = [row[name] for row in rows]
        return arrays

    async def erase(self, carer_id: str, at: datetime) -> bool:
        """Remove the record and everything personal held about it; False if not found.

        The carer row goes, and so do reviews that held an identification naming it. What
        stays: the inbox's (source, id) pairs and the audit log's carer id, neither personal.
        """
        await self.flush()
        found = await self.session.execute(delete(CARERS).where(CARERS.c.carer_id == carer_id))
        if not found.rowcount:  # type: ignore[attr-defined]
            return False
        reviews = MatchReview.__table__  # type: ignore[attr-defined]
        await self.session.execute(
            delete(reviews).where(reviews.c.candidate_ids.like(f'%"{carer_id}"%'))
        )
        self.session.add(ErasedCarer(carer_id=carer_id, erased_at=at))
        self._erased.add(carer_id)
        self._not_erased.discard(carer_id)
        carer = self._by_id.pop(carer_id, None)
        if carer and carer.nhs_number:
            self._by_nhs.pop(carer.nhs_number, None)
        return True

    async def was_erased(self, carer_id: str) -> bool:
        if carer_id in self._erased:
            return True
        if carer_id in self._not_erased:
            return False
        return await self.session.get(ErasedCarer, carer_id) is not None

    async def erased_among(self, carer_ids: Iterable[str]) -> set[str]:
        """Which of these carers were erased: one query for a whole run of events."""
        wanted = list(set(carer_ids))
        erased = ErasedCarer.__table__  # type: ignore[attr-defined]
        for start in range(0, len(wanted), CHUNK):
            rows = await self.session.execute(
                select(erased.c.carer_id).where(
                    erased.c.carer_id.in_(wanted[start : start + CHUNK])
                )
            )
            self._erased.update(row[0] for row in rows)
        self._not_erased.update(c for c in wanted if c not in self._erased)
        return self._erased & set(wanted)

    async def load(self, carer_ids: Iterable[str]) -> None:
        """Read (and on PostgreSQL lock) these records in one query, for ``get`` to find."""
        wanted = sorted(set(carer_ids) - self._by_id.keys())
        for start in range(0, len(wanted), CHUNK):
            rows = await self.session.execute(
                self._locking(
                    select(CARERS.c.document)
                    .where(CARERS.c.carer_id.in_(wanted[start : start + CHUNK]))
                    .order_by(CARERS.c.carer_id)
                )
            )
            for (document,) in rows:
                self._remember(Carer.from_document(orjson.loads(document)))

    async def remove_merged(self, carer_id: str) -> None:
        """Delete a record folded into another after a review (its data lives on there)."""
        await self.flush()
        await self.session.execute(delete(CARERS).where(CARERS.c.carer_id == carer_id))
        self._by_id.pop(carer_id, None)

    async def ids_with_category(
        self, categories: list[str], limit: int = 1000, after: str = ""
    ) -> list[str]:
        rows = await self.session.execute(
            select(CARERS.c.carer_id)
            .where(CARERS.c.category.in_(categories), CARERS.c.carer_id > after)
            .order_by(CARERS.c.carer_id)
            .limit(limit)
        )
        return [row[0] for row in rows]

    async def ids_after(self, after: str, limit: int) -> list[str]:
        rows = await self.session.execute(
            select(CARERS.c.carer_id)
            .where(CARERS.c.carer_id > after)
            .order_by(CARERS.c.carer_id)
            .limit(limit)
        )
        return [row[0] for row in rows]

    # -- reviews and the audit log --------------------------------------------------------

    async def open_reviews(self) -> list[MatchReview]:
        rows = await self.session.execute(
            select(MatchReview)
            .where(col(MatchReview.status) == "open")
            .order_by(col(MatchReview.created_at))
        )
        return list(rows.scalars())

    async def review(self, review_id: str) -> MatchReview | None:
        return await self.session.get(MatchReview, review_id)

    def audit(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    def record_access(
        self, *, subject: str, role: str, org: str, action: str, carer_id: str | None, outcome: str
    ) -> None:
        """One row of the access audit log (who, what, which carer, the outcome; never the
        data), so the service layer names the facts and never builds the ORM row."""
        self.audit(
            AuditEntry(
                subject=subject,
                role=role,
                org=org,
                action=action,
                carer_id=carer_id,
                outcome=outcome,
            )
        )

    async def audit_entries(self, carer_id: str) -> list[AuditEntry]:
        rows = await self.session.execute(
            select(AuditEntry)
            .where(col(AuditEntry.carer_id) == carer_id)
            .order_by(col(AuditEntry.id))
        )
        return list(rows.scalars())

    @staticmethod
    def review_candidates(review: MatchReview) -> list[str]:
        return list(json.loads(review.candidate_ids))

    @staticmethod
    def _columns(carer: Carer) -> dict[str, object]:
        return {
            "nhs_number": carer.nhs_number,
            "match_key": carer.match_key,
            "category": carer.published_category,
            "version": carer.version,
            "document": orjson.dumps(carer.to_document()).decode(),
        }

    def _remember(self, carer: Carer) -> None:
        self._by_id[carer.carer_id] = carer
        if carer.nhs_number:
            self._by_nhs[carer.nhs_number] = carer.carer_id
        key = carer.match_key
        if key is not None:
            ids = self._by_key.setdefault(key, [])
            if carer.carer_id not in ids:
                ids.append(carer.carer_id)
