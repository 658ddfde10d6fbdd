"""The one way a route reaches the unit of work, the clock, the pages and the caller.

``bootstrap()`` hands the routes a :class:`Wiring` (``install``); routes declare what they
need with the ``Annotated`` aliases below (the full-stack FastAPI template's ``deps.py``), so
no route reads ``app.state`` itself and a test swaps the clock in one place. The unit of
work comes unopened: the service layer opens and commits it. ``Found`` is the consultation
named by the path's ``slug`` (404 when there is none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status

from services.consultation.domain.definition import Consultation
from services.consultation.entrypoints.ratelimit import TokenBucket
from services.consultation.service_layer.unit_of_work import ConsultationUnitOfWork
from shared.auth import Principal, require_role
from shared.clock import Clock
from shared.web import PageRenderer
from shared.web.staff import require_staff, staff_caller

STAFF_ROLES = ("council", "admin")


@dataclass(frozen=True)
class Wiring:
    """What the composition root gives the routes."""

    consultations: dict[str, Consultation]
    unit_of_work: Callable[[], ConsultationUnitOfWork]
    clock: Clock
    pages: PageRenderer
    limiter: TokenBucket
    classifier: Callable[[], Any]
    themes: Callable[[], Any]
    trust_forwarded_for: bool = False

    def client(self, request: Request) -> str:
        """Who the rate limit counts: the proxy's ``X-Forwarded-For`` only when trusted."""
        forwarded = request.headers.get("x-forwarded-for") if self.trust_forwarded_for else None
        if forwarded:
            return forwarded.split(",")[0].strip()
        return request.client.host if request.client else "unknown"


def install(app: FastAPI, wiring: Wiring) -> None:
    app.state.consultation = wiring


def _wiring(request: Request) -> Wiring:
    return request.app.state.consultation  # type: ignore[no-any-return]


def _unit_of_work(wiring: Annotated[Wiring, Depends(_wiring)]) -> ConsultationUnitOfWork:
    return wiring.unit_of_work()


def _clock(wiring: Annotated[Wiring, Depends(_wiring)]) -> Clock:
    return wiring.clock


def _pages(wiring: Annotated[Wiring, Depends(_wiring)]) -> PageRenderer:
    return wiring.pages


def _found(slug: str, wiring: Annotated[Wiring, Depends(_wiring)]) -> Consultation:
    found = wiring.consultations.get(slug)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no consultation {slug!r}")
    return found


async def _public_or_staff(request: Request) -> Principal | None:
    """Council or admin staff (keying in a paper return), or None for the public."""
    principal = await staff_caller(request)  # a cookie-signed post needs its CSRF token
    return principal if principal is not None and principal.role in STAFF_ROLES else None


Service = Annotated[Wiring, Depends(_wiring)]
UnitOfWork = Annotated[ConsultationUnitOfWork, Depends(_unit_of_work)]
ServiceClock = Annotated[Clock, Depends(_clock)]
Pages = Annotated[PageRenderer, Depends(_pages)]
Found = Annotated[Consultation, Depends(_found)]
Council = Annotated[Principal, Depends(require_role(*STAFF_ROLES))]
CouncilPage = Annotated[Principal, Depends(require_staff(*STAFF_ROLES))]
Caller = Annotated[Principal | None, Depends(_public_or_staff)]
