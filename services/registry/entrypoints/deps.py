"""The one way a registry route reaches what it needs: ``Annotated`` FastAPI dependencies.

Why one module: routes used to reach the unit of work three ways (a module-level helper, bare
``app.state``, ``request.app.state.unit_of_work()``) and the time three ways (``datetime.now``,
a lambda on the self-service object, ``time.monotonic``). A test could not move the clock for
every route at once, and a reader could not see what a route depends on from its signature.
Now a route says so in its parameters::

    async def resolve(uow: UnitOfWork, clock: Clock, caller: Council) -> ...:
        async with uow:
            ...
            await resolve_review(uow, ..., clock.now())

``bootstrap()`` puts the factory and the clock on ``app.state``; a test swaps either there
(``app.state.clock = VirtualClock(...)``) and every route sees it.

``UnitOfWork`` is a fresh, not yet entered unit of work: the route opens it with
``async with uow:``, and may open it again for a second transaction (each entry is a new
session). Callers are role checks (:func:`shared.auth.require_role`): 401 without a token,
403 with the wrong role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from services.registry.domain.read_access import READER_ROLES
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared import clock as clocks
from shared.auth import Principal, require_role


def unit_of_work(request: Request) -> RegistryUnitOfWork:
    """A new unit of work from the factory ``bootstrap()`` wired (attested publishing)."""
    factory: Callable[[], RegistryUnitOfWork] = request.app.state.unit_of_work
    return factory()


def clock(request: Request) -> clocks.Clock:
    """The registry's clock: :class:`shared.clock.SystemClock` unless a test set another."""
    chosen: clocks.Clock = request.app.state.clock
    return chosen


UnitOfWork = Annotated[RegistryUnitOfWork, Depends(unit_of_work)]
Clock = Annotated[clocks.Clock, Depends(clock)]

# -- callers: who may use a route ------------------------------------------------------------

Identifier = Annotated[Principal, Depends(require_role("gp", "hospital", "council", "vasl"))]
"""A partner that identifies carers (POST /identifications)."""
Sender = Annotated[Principal, Depends(require_role("gp", "hospital"))]
"""A clinical system sending FHIR messages."""
Reader = Annotated[Principal, Depends(require_role(*READER_ROLES))]
"""A partner reading a carer's record (then scoped by ``decide_read`` and audited)."""
Council = Annotated[Principal, Depends(require_role("council", "admin"))]
"""Council staff or an administrator: reviews, claims."""
Officer = Annotated[Principal, Depends(require_role("council"))]
"""A council officer in person (decisions recorded under their name; admin is not enough)."""
Gp = Annotated[Principal, Depends(require_role("gp"))]
"""A GP practice (its own patients only, checked by the route's use case)."""
