"""Reading a carer's record over HTTP (contract 5 and 6.4): scoped, audited, and silent.

``GET /carers?nhs_number=`` and ``GET /carers/{carer_id}`` answer the record only when
:func:`~services.registry.domain.read_access.decide_read` allows it. Otherwise the answer is
404 with the same body as for a carer who does not exist: a caller probing NHS numbers learns
nothing about who is a registered carer. The audit log keeps the real outcome (allowed,
not_found, or refused with the reason) for every attempt, never the data
(:func:`~services.registry.service_layer.reading.read_carer`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from services.registry.entrypoints.deps import Clock, Reader, UnitOfWork
from services.registry.service_layer.reading import carer_view, read_carer

router = APIRouter()
NOT_FOUND = "no such carer"  # the one answer for "does not exist" and "not yours to read"


@router.get(
    "/carers",
    summary="Find a carer by NHS number (scoped to the caller, audited; 404 if not theirs)",
)
async def find_carer(
    uow: UnitOfWork, clock: Clock, principal: Reader, nhs_number: str
) -> dict[str, Any]:
    carer = await read_carer(uow, principal, "find_by_nhs_number", nhs_number=nhs_number)
    if carer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return carer_view(carer, clock.now())


@router.get(
    "/carers/{carer_id}",
    summary="A carer's record and status (scoped to the caller, audited; 404 if not theirs)",
)
async def get_carer(
    uow: UnitOfWork, clock: Clock, principal: Reader, carer_id: str
) -> dict[str, Any]:
    carer = await read_carer(uow, principal, "read", carer_id=carer_id)
    if carer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return carer_view(carer, clock.now())
