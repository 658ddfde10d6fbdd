"""Reading a carer's record over HTTP (contract 5 and 6.4): scoped, audited, and silent.

``GET /carers?nhs_number=`` and ``GET /carers/{carer_id}`` answer the record only when
:func:`~services.registry.domain.read_access.decide_read` allows it. Otherwise the answer is
404 with the same body as for a carer who does not exist: a caller probing NHS numbers learns
nothing about who is a registered carer. The audit log keeps the real outcome (allowed,
not_found, or refused with the reason) for every attempt, never the data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from services.registry.adapters.orm import AuditEntry
from services.registry.domain.model import Carer
from services.registry.domain.read_access import READER_ROLES, decide_read
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import Principal, require_role

router = APIRouter()
Reader = Annotated[Principal, Depends(require_role(*READER_ROLES))]
NOT_FOUND = "no such carer"  # the one answer for "does not exist" and "not yours to read"


async def _read(
    request: Request,
    principal: Principal,
    action: str,
    carer_id: str | None = None,
    nhs_number: str | None = None,
) -> dict[str, Any]:
    """Find, decide, audit (whatever the outcome), answer."""
    unit_of_work: RegistryUnitOfWork = request.app.state.unit_of_work()
    async with unit_of_work as uow:
        uow.carers.lock_rows = False
        carer = (
            await uow.carers.get(carer_id)
            if carer_id
            else await uow.carers.by_nhs_number(nhs_number or "")
        )
        decision = decide_read(principal.role, principal.org, carer)
        uow.carers.audit(
            AuditEntry(
                subject=principal.subject,
                role=principal.role,
                org=principal.org,
                action=action,
                carer_id=carer.carer_id if carer else None,
                outcome=decision.outcome,
            )
        )
        await uow.commit()
    if carer is None or not decision.allowed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return carer_view(carer)


@router.get(
    "/carers",
    summary="Find a carer by NHS number (scoped to the caller, audited; 404 if not theirs)",
)
async def find_carer(request: Request, principal: Reader, nhs_number: str) -> dict[str, Any]:
    return await _read(request, principal, "find_by_nhs_number", nhs_number=nhs_number)


@router.get(
    "/carers/{carer_id}",
    summary="A carer's record and status (scoped to the caller, audited; 404 if not theirs)",
)
async def get_carer(request: Request, principal: Reader, carer_id: str) -> dict[str, Any]:
    return await _read(request, principal, "read", carer_id=carer_id)


def carer_view(carer: Carer) -> dict[str, Any]:
    now = datetime.now(UTC)
    document = carer.to_document()
    document.pop("published_category", None)
    return {**document, "category": carer.category(now), "status": carer.status(now)}
