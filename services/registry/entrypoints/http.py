"""The registry's HTTP API (contract section 5)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, status

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
