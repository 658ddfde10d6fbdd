"""The registry's HTTP API (contract section 5): ingest and reviews (reads: ``reads.py``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Request, status
from pydantic import BaseModel, Field, model_validator

from services.registry.domain.provenance import credited, provenance_refusal
from services.registry.entrypoints.deps import Clock, Council, Identifier, UnitOfWork
from services.registry.service_layer.audit import audit, review_action
from services.registry.service_layer.handlers import (
    ReviewConflict,
    resolve_review,
    review_summary,
)
from services.registry.service_layer.trust import attest, future_consent_reason
from shared import topics
from shared.auth import Principal
from shared.events import CloudEvent
from shared.ingest import envelope_from_request, publish_inbound, unprocessable

router = APIRouter()


@router.post(
    "/identifications",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Identify a carer (a carer.identified body or a full CloudEvent)",
)
async def post_identification(
    request: Request, principal: Identifier, clock: Clock, payload: Annotated[Any, Body()]
) -> dict[str, str]:
    # Provenance comes from the token (contract 6.1): what the body leaves out is filled in
    # from it, and what it says otherwise is refused (403 naming the field).
    envelope, body = envelope_from_request(
        credited(payload, principal.role, principal.org),
        "carer.identified",
        source=f"ods:{principal.org}",
        subject_of=lambda raw: (raw.get("person") or {}).get("nhs_number"),
        traceparent=request.headers.get("traceparent"),
        headers=request.headers,  # binary mode: ce-* headers carry the envelope
    )
    envelope = checked_identification(request, principal, envelope, body, payload, clock)
    person = body.person  # type: ignore[attr-defined]
    key = person.nhs_number or envelope.subject or envelope.id
    runtime = request.app.state.runtime
    await publish_inbound(runtime.producer, envelope, key, runtime.settings.topic(topics.INBOUND))
    return {"id": envelope.id, "status": "accepted"}


def checked_identification(
    request: Request,
    principal: Principal,
    envelope: CloudEvent,
    body: Any,
    payload: Any,
    clock: Clock,
) -> CloudEvent:
    """The identification, attested, once it is the caller's own and its consent is not
    from the future; HTTP 403 or 422 naming the field otherwise."""
    enveloped = isinstance(payload, dict) and "specversion" in payload
    refused = provenance_refusal(
        envelope.source, body.identified_by, principal.role, principal.org, enveloped=enveloped
    )
    if refused is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(refused))
    future = future_consent_reason(envelope, body, clock.now())
    if future is not None:
        raise unprocessable(future if enveloped else future.removeprefix("data."))
    return attest(envelope, request.app.state.attestor)


class Resolution(BaseModel):
    """A person's decision on an ambiguous match."""

    decision: Literal["merge", "keep_apart"]
    into: str | None = None
    absorb: list[str] = []
    reason: str | None = Field(default=None, max_length=2000)
    """Why (kept on the review with who decided; the council's review page requires it)."""

    @model_validator(mode="after")
    def _merge_needs_a_target(self) -> Resolution:
        if self.decision == "merge" and not self.into:
            raise ValueError("into: required when the decision is merge")
        return self


@router.get("/reviews", summary="Identifications held because they matched several records")
async def list_reviews(uow: UnitOfWork, principal: Council) -> list[dict[str, Any]]:
    async with uow:
        return [review_summary(r) for r in await uow.carers.open_reviews()]


@router.post("/reviews/{review_id}/resolve", summary="Merge the candidates, or keep apart")
async def resolve(
    uow: UnitOfWork, clock: Clock, principal: Council, review_id: str, resolution: Resolution
) -> dict[str, Any]:
    async with uow:
        review = await uow.carers.review(review_id)
        if review is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such review")
        try:
            carer = await resolve_review(
                uow,
                review,
                resolution.decision,
                resolution.into,
                resolution.absorb,
                clock.now(),
                decided_by=principal.subject,
                reason=resolution.reason,
            )
        except ReviewConflict as conflict:
            raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from None
        audit(uow, principal, review_action(resolution.decision), carer.carer_id)
        await uow.commit()
    return {"review_id": review_id, "decision": resolution.decision, "carer_id": carer.carer_id}
