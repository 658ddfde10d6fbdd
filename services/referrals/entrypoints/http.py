"""The referral team's API (contract section 5): the work queue and lifecycle steps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from services.referrals.domain.model import IllegalTransition, Referral
from services.referrals.service_layer.handlers import change_referral
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from shared.auth import Principal, require_role

router = APIRouter(tags=["referrals"])
Staff = Annotated[Principal, Depends(require_role("council", "vasl", "admin"))]

# A partner sees only its own service's referrals.
SERVICES_FOR_ROLE: dict[str, list[str] | None] = {
    "vasl": ["vasl"],
    "council": ["carers_assessment", "young_carers", "support_at_home"],
    "admin": None,
}


class ReferralPublic(BaseModel):
    referral_id: str
    carer_id: str
    service: str
    status: str
    overdue: bool
    story: str | None
    identified_by: list[dict[str, Any]]
    category: str | None
    reason: str | None
    outcome: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, referral: Referral) -> ReferralPublic:
        return cls.model_validate(referral, from_attributes=True)


class Decline(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class Complete(BaseModel):
    outcome: dict[str, Any]


def _uow(request: Request) -> ReferralsUnitOfWork:
    return request.app.state.unit_of_work()  # type: ignore[no-any-return]


@router.get("/referrals", summary="The work queue, filtered and paginated")
async def list_referrals(
    request: Request,
    principal: Staff,
    service: str | None = None,
    status_: Annotated[
        Literal["requested", "accepted", "declined", "completed", "withdrawn"] | None,
        Query(alias="status"),
    ] = None,
    carer_id: str | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ReferralPublic]:
    allowed = SERVICES_FOR_ROLE[principal.role]
    services = [service] if service else allowed
    if allowed is not None and service and service not in allowed:
        services = []
    async with _uow(request) as uow:
        referrals = await uow.referrals.queue(
            services=services,
            status=status_,
            carer_id=carer_id,
            overdue=overdue,
            limit=limit,
            offset=offset,
        )
    return [ReferralPublic.of(r) for r in referrals]


async def _step(
    request: Request, principal: Principal, referral_id: str, step: str, **arguments: Any
) -> ReferralPublic:
    async with _uow(request) as uow:
        current = await uow.referrals.get(referral_id)
        allowed = SERVICES_FOR_ROLE[principal.role]
        if current is None or (allowed is not None and current.service not in allowed):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such referral in your queue")
        try:
            referral = await change_referral(uow, referral_id, step, datetime.now(UTC), **arguments)
        except IllegalTransition as illegal:
            raise HTTPException(status.HTTP_409_CONFLICT, str(illegal)) from None
    assert referral is not None
    return ReferralPublic.of(referral)


@router.post("/referrals/{referral_id}/accept")
async def accept(request: Request, principal: Staff, referral_id: str) -> ReferralPublic:
    return await _step(request, principal, referral_id, "accept")


@router.post("/referrals/{referral_id}/decline")
async def decline(
    request: Request, principal: Staff, referral_id: str, body: Decline
) -> ReferralPublic:
    return await _step(request, principal, referral_id, "decline", reason=body.reason)


@router.post("/referrals/{referral_id}/complete")
async def complete(
    request: Request, principal: Staff, referral_id: str, body: Complete
) -> ReferralPublic:
    return await _step(request, principal, referral_id, "complete", outcome=body.outcome)


@router.post("/referrals/{referral_id}/withdraw")
async def withdraw(
    request: Request, principal: Staff, referral_id: str, body: Decline
) -> ReferralPublic:
    return await _step(request, principal, referral_id, "withdraw", reason=body.reason)
