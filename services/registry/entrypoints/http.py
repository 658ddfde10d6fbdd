"""The registry's HTTP API (contract section 5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, status

from services.registry.domain.model import Carer
from shared import topics
from shared.auth import Principal, require_role
from shared.ingest import envelope_from_request, publish_inbound

router = APIRouter()

Identifier = Annotated[Principal, Depends(require_role("gp", "hospital", "council", "vasl"))]


@router.post(
    "/identifications",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Identify a carer (a carer.identified body or a full CloudEvent)",
)
async def post_identification(
    request: Request, principal: Identifier, payload: Annotated[Any, Body()]
) -> dict[str, str]:
    envelope, body = envelope_from_request(
        payload,
        "carer.identified",
        source=f"ods:{principal.org}",
        subject_of=lambda raw: (raw.get("person") or {}).get("nhs_number"),
    )
    person = body.person  # type: ignore[attr-defined]
    key = person.nhs_number or envelope.subject or envelope.id
    runtime = request.app.state.runtime
    await publish_inbound(runtime.producer, envelope, key, runtime.settings.topic(topics.INBOUND))
    return {"id": envelope.id, "status": "accepted"}


Reader = Annotated[Principal, Depends(require_role("council", "vasl", "gp", "admin"))]


@router.get("/carers", summary="Find a carer by NHS number (consent-scoped)")
async def find_carer(request: Request, principal: Reader, nhs_number: str) -> dict[str, Any]:
    async with request.app.state.unit_of_work() as uow:
        carer = await uow.carers.by_nhs_number(nhs_number)
    if carer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no carer with that NHS number")
    return carer_view(carer)


@router.get("/carers/{carer_id}", summary="A carer's record and status (consent-scoped)")
async def get_carer(request: Request, principal: Reader, carer_id: str) -> dict[str, Any]:
    async with request.app.state.unit_of_work() as uow:
        carer = await uow.carers.get(carer_id)
    if carer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such carer")
    return carer_view(carer)


def carer_view(carer: Carer) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {**carer.to_document(), "category": carer.category(now), "status": carer.status(now)}
