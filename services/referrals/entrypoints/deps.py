"""The one way a route reaches the unit of work, the clock, the pages and the caller.

``bootstrap()`` hands the routes a :class:`Wiring` (``install``); routes declare what they
need with the ``Annotated`` aliases below (the full-stack FastAPI template's ``deps.py``), so
no route reads ``app.state`` itself and a test swaps the clock or the unit of work in one
place. The unit of work comes unopened: the service layer opens and commits it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from services.referrals.domain import access
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from shared.auth import Principal
from shared.clock import Clock
from shared.web import PageRenderer
from shared.web.staff import require_staff


@dataclass(frozen=True)
class Wiring:
    """What the composition root gives the routes."""

    unit_of_work: Callable[[], ReferralsUnitOfWork]
    clock: Clock
    pages: PageRenderer


def install(app: FastAPI, wiring: Wiring) -> None:
    app.state.referrals = wiring


def _wiring(request: Request) -> Wiring:
    return request.app.state.referrals  # type: ignore[no-any-return]


def _unit_of_work(request: Request) -> ReferralsUnitOfWork:
    return _wiring(request).unit_of_work()


def _clock(request: Request) -> Clock:
    return _wiring(request).clock


def _pages(request: Request) -> PageRenderer:
    return _wiring(request).pages


UnitOfWork = Annotated[ReferralsUnitOfWork, Depends(_unit_of_work)]
ServiceClock = Annotated[Clock, Depends(_clock)]
Pages = Annotated[PageRenderer, Depends(_pages)]
Staff = Annotated[Principal, Depends(require_staff(*access.STAFF_ROLES))]
