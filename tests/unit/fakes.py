"""An in-memory unit of work for fast service-layer tests (cosmicpython's FakeUnitOfWork).

It *is* a :class:`shared.messaging.uow.UnitOfWork`: ``publish``, ``emit`` and
``publish_raw`` are the real ones, so events are queued exactly as in production. Only the
storage is replaced: a :class:`FakeDatabase` of plain Python tables, copied when the unit of
work opens and swapped in on ``commit``, so a step that fails before its commit leaves
nothing behind (as a rolled-back transaction would), and the inbox keeps what was claimed
across units of work (as the table does). Service fakes add their repositories in
:meth:`FakeUnitOfWork.open_repositories`.

``assert_same_interface`` is the check that keeps a fake honest: every public method of the
real class exists on the fake with the same parameters.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, cast

import orjson

from shared.messaging.uow import UnitOfWork


@dataclass
class FakeDatabase:
    """What survives a unit of work: committed tables, the inbox and the published outbox."""

    tables: dict[str, Any] = field(default_factory=dict)
    inbox: set[tuple[str, str]] = field(default_factory=set)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    commits: int = 0

    def events(self, topic: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """``(type, data)`` of every event committed to the outbox (on ``topic``), in order."""
        found = []
        for row in self.outbox:
            if row["value"] is None or (topic is not None and row["topic"] != topic):
                continue
            event = orjson.loads(row["value"])
            found.append((event["type"], event["data"]))
        return found


class FakeUnitOfWork(UnitOfWork):
    """The real unit of work's interface over a :class:`FakeDatabase`."""

    def __init__(self, database: FakeDatabase | None = None, service: str = "test") -> None:
        super().__init__(cast(Any, None), None, "", service)
        self.database = database if database is not None else FakeDatabase()
        self.tables: dict[str, Any] = {}
        self.inbox: set[tuple[str, str]] = set()

    def open_repositories(self) -> None:
        """Attach the service's repositories to ``self.tables`` (subclasses)."""

    def _begin(self) -> None:
        self.tables = copy.deepcopy(self.database.tables)
        self.inbox = set(self.database.inbox)
        self._outbox = []
        self._published = False
        self._published_types = []
        self.open_repositories()

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.tables, self._outbox = {}, []  # what was not committed is gone

    @property
    def dialect(self) -> str:
        return "fake"

    async def flush(self) -> None:
        """Nothing to write: the tables are already in memory."""

    async def commit(self) -> None:
        self.database.tables = self.tables
        self.database.inbox = self.inbox
        self.database.outbox.extend(self._outbox)
        self.database.commits += 1
        self._begin()  # carry on from what is now committed

    async def rollback(self) -> None:
        self._begin()

    async def claim_many(self, events: Iterable[tuple[str, str, str]]) -> set[tuple[str, str]]:
        new = set()
        for source, event_id, _type in events:
            if (source, event_id) not in self.inbox:
                self.inbox.add((source, event_id))
                new.add((source, event_id))
        return new


def assert_same_interface(fake: type, real: type) -> None:
    """Every public method of ``real`` is on ``fake``, with the same parameter names."""
    for name, member in inspect.getmembers(real, inspect.isfunction):
        if name.startswith("_"):
            continue
        assert hasattr(fake, name), f"{fake.__name__} lacks {name}"
        wanted = list(inspect.signature(member).parameters)
        found = list(inspect.signature(getattr(fake, name)).parameters)
        assert found == wanted, f"{fake.__name__}.{name}{found} is not {real.__name__}'s {wanted}"
