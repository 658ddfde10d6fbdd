"""The referral team's API (contract 5): the work queue and the lifecycle steps.

JSON for partners' systems (``Authorization: Bearer``); the same paths serve the web page's
forms, which a browser posts signed in with the staff cookie and a CSRF token: a form post
is handed to :mod:`entrypoints.web`. 401 without a token, 403 for a role with no queue or
a service outside the caller's, 404 for a referral outside it, 409 for an illegal step,
422 naming the field at fault.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from services.referrals.domain import access
from services.referrals.domain.queue import QueueFilter
from services.referrals.entrypoints import web as pages
from services.referrals.entrypoints.deps import ServiceClock, Staff, UnitOfWork
from services.referrals.entrypoints.schemas import (
    Complete,
    Reason,
    ReferralPublic,
    Service,
    StatusFilter,
)
from services.referrals.entrypoints.steps import Refusal, take_step
from services.referrals.service_layer.handlers import ReferralNotFound, read_queue, read_referral
from shared.web.negotiation import is_form, wants_html

router = APIRouter(tags=["referrals"])
BODIES: dict[str, type[BaseModel] | None] = {
    "accept": None,
    "decline": Reason,
    "complete": Complete,
    "withdraw": Reason,
}


@router.get(
    "/referrals",
    summary="The work queue: filtered, soonest due first, paginated",
    response_model=list[ReferralPublic],
)
async def list_referrals(
    request: Request,
    response: Response,
    principal: Staff,
    uow: UnitOfWork,
    clock: ServiceClock,
    service: Service | None = None,
    status_: Annotated[StatusFilter | None, Query(alias="status")] = None,
    carer_id: str | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,  # beyond 64 bits, a 500
) -> list[ReferralPublic]:
    """``X-Total-Count`` gives how many match; ``Link`` gives the next and previous pages."""
    try:
        services = access.scope(principal.role, service)
    except access.OutOfScope as wrong:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(wrong)) from None
    wanted = QueueFilter(services, status_, carer_id, overdue, limit, offset)
    referrals, total = await read_queue(uow, principal, wanted, "list", clock.now())
    response.headers["X-Total-Count"] = str(total)
    links = _page_links(request, total, limit, offset)
    if links:
        response.headers["Link"] = links
    return [ReferralPublic.of(r) for r in referrals]


def _page_links(request: Request, total: int, limit: int, offset: int) -> str:
    """RFC 8288 ``Link`` header values for the neighbouring pages."""
    params = dict(request.query_params)
    links = []
    if offset + limit < total:
        links.append((offset + limit, "next"))
    if offset > 0:
        links.append((max(offset - limit, 0), "prev"))
    parts = []
    for at, rel in links:
        query = urlencode({**params, "offset": at, "limit": limit})
        parts.append(f'<{request.url.path}?{query}>; rel="{rel}"')
    return ", ".join(parts)


@router.get(
    "/referrals/{referral_id}",
    summary="One referral with the carer's story (a page for browsers, JSON otherwise)",
    response_model=ReferralPublic,
)
async def get_referral(team: pages.TeamPage, referral_id: str, done: str | None = None) -> Any:
    if wants_html(team.request):
        return await pages.detail_page(team, referral_id, done=done)
    try:
        referral = await read_referral(
            team.uow, team.principal, referral_id, "read", team.clock.now()
        )
    except ReferralNotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from None
    return ReferralPublic.of(referral)


async def _body(request: Request, model: type[BaseModel] | None) -> dict[str, Any]:
    """The JSON body checked against ``model``; 422 naming the field, as FastAPI would."""
    raw = await request.body()
    if model is None:
        return {}
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "is not valid JSON", "type": "json_invalid"}]
        ) from None
    try:
        return model.model_validate(data).model_dump()
    except ValidationError as invalid:
        errors = invalid.errors(include_url=False, include_context=False)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in errors]
        ) from None


async def _step(team: pages.Page, referral_id: str, step: str) -> Any:
    if is_form(team.request):
        return await pages.submit(team, referral_id, step)
    arguments = await _body(team.request, BODIES[step])
    changed = await take_step(team.uow, team.clock, team.principal, referral_id, step, arguments)
    if isinstance(changed, Refusal):
        if changed.status == status.HTTP_409_CONFLICT:
            raise HTTPException(changed.status, changed.message)
        loc = ["body", *changed.field.split(".")]
        detail = [{"loc": loc, "msg": changed.message, "type": "invalid"}]
        raise HTTPException(changed.status, detail)
    return ReferralPublic.of(changed)


def _documented(model: type[BaseModel] | None) -> dict[str, Any]:
    """The request body for the API docs (the route reads it itself, JSON or form)."""
    if model is None:
        return {}
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post(
    "/referrals/{referral_id}/accept",
    summary="Accept a requested referral (409 unless requested)",
    response_model=ReferralPublic,
)
async def accept(team: pages.TeamPage, referral_id: str) -> Any:
    return await _step(team, referral_id, "accept")


@router.post(
    "/referrals/{referral_id}/decline",
    summary="Decline a requested or accepted referral, with a reason",
    response_model=ReferralPublic,
    openapi_extra=_documented(Reason),
)
async def decline(team: pages.TeamPage, referral_id: str) -> Any:
    return await _step(team, referral_id, "decline")


@router.post(
    "/referrals/{referral_id}/complete",
    summary="Complete an accepted referral with its outcome",
    response_model=ReferralPublic,
    openapi_extra=_documented(Complete),
)
async def complete(team: pages.TeamPage, referral_id: str) -> Any:
    return await _step(team, referral_id, "complete")


@router.post(
    "/referrals/{referral_id}/withdraw",
    summary="Withdraw a requested or accepted referral, with a reason",
    response_model=ReferralPublic,
    openapi_extra=_documented(Reason),
)
async def withdraw(team: pages.TeamPage, referral_id: str) -> Any:
    return await _step(team, referral_id, "withdraw")
