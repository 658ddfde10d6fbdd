"""The referral team's web page (GOV.UK Design System): the queue, a referral with the
carer's story, and the accept, decline, complete and withdraw forms.

Works without JavaScript: every action is a plain form post (with the CSRF token) answered
by a redirect to the referral (post/redirect/get), or by the same form again with an error
summary and the answers kept. Staff sign in with their token at ``/staff/sign-in``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.referrals.domain import access
from services.referrals.domain.model import Referral
from services.referrals.domain.outcomes import OUTCOME_TYPES_FOR_SERVICE, InvalidOutcome
from services.referrals.domain.queue import QueueFilter
from services.referrals.entrypoints import forms
from services.referrals.entrypoints.deps import Pages, ServiceClock, Staff, UnitOfWork
from services.referrals.entrypoints.display import STATUS_FILTERS
from services.referrals.entrypoints.steps import Refusal, take_step
from services.referrals.service_layer.handlers import ReferralNotFound, read_queue, read_referral
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from shared.auth import Principal
from shared.clock import Clock
from shared.web import PageRenderer
from shared.web.csrf import CsrfError, verify_csrf
from shared.web.forms import FieldError

router = APIRouter(tags=["referral team pages"], include_in_schema=False)
PAGE_SIZE = 25


@dataclass(frozen=True)
class Page:
    """One request for a team page: who asks, and what the page reads and renders with."""

    request: Request
    principal: Principal
    uow: ReferralsUnitOfWork
    clock: Clock
    pages: PageRenderer

    def render(self, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
        return self.pages.render(self.request, template, context, status_code=status_code)


def _page(
    request: Request, principal: Staff, uow: UnitOfWork, clock: ServiceClock, pages: Pages
) -> Page:
    return Page(request, principal, uow, clock, pages)


TeamPage = Annotated[Page, Depends(_page)]


@router.get("/", response_class=HTMLResponse)
async def queue_page(
    team: TeamPage,
    service: str = "",
    status_: Annotated[str, Query(alias="status")] = "open",
    overdue: str = "",
    page: int = 1,
) -> Response:
    allowed = access.services_for(team.principal.role)
    service = service if service in allowed else ""
    status_ = status_ if status_ in dict(STATUS_FILTERS) else "open"
    page = max(page, 1)
    wanted = QueueFilter(
        services=(service,) if service else allowed,
        status=status_ or None,
        overdue=True if overdue == "yes" else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    referrals, total = await read_queue(
        team.uow, team.principal, wanted, "queue_page", team.clock.now()
    )
    filters = {"service": service, "status": status_, "overdue": overdue}
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)

    def href(number: int) -> str:
        return "/?" + urlencode({**{k: v for k, v in filters.items() if v}, "page": number})

    context = {
        "principal": team.principal,
        "referrals": referrals,
        "total": total,
        "filters": filters,
        "allowed_services": allowed,
        "status_filters": STATUS_FILTERS,
        "page": page,
        "pages": pages,
        "previous_href": href(page - 1) if page > 1 else "",
        "next_href": href(page + 1) if page < pages else "",
    }
    return team.render("queue.html", context)


async def _load(team: Page, referral_id: str) -> Referral:
    try:
        return await read_referral(team.uow, team.principal, referral_id, "page", team.clock.now())
    except ReferralNotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from None


async def detail_page(
    team: Page,
    referral_id: str,
    *,
    done: str | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    referral = await _load(team, referral_id)
    context = {
        "referral": referral,
        "done": done if done == referral.status else None,
        "errors": errors or [],
    }
    return team.render("referral.html", context, status_code=status_code)


def _reason_page(
    team: Page,
    referral: Referral,
    step: str,
    *,
    value: str = "",
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "referral": referral,
        "step": step,
        "question": forms.REASON_QUESTIONS[step],
        "value": value,
        "errors": errors or [],
    }
    return team.render("reason.html", context, status_code=status_code)


def _complete_page(
    team: Page,
    referral: Referral,
    *,
    kind: str = "",
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    """The outcome type question (no ``kind``), or the questions for that ``kind``."""
    kinds = OUTCOME_TYPES_FOR_SERVICE[referral.service]
    if len(kinds) == 1:
        kind = kinds[0]  # nothing to choose: go straight to its questions
    context = {
        "referral": referral,
        "kind": kind,
        "outcome_types": [(k, forms.OUTCOME_LABELS[k]) for k in kinds],
        "values": values or {},
        "errors": errors or [],
    }
    return team.render("complete.html", context, status_code=status_code)


@router.get("/referrals/{referral_id}/decline", response_class=HTMLResponse)
async def decline_page(team: TeamPage, referral_id: str) -> Response:
    return _reason_page(team, await _load(team, referral_id), "decline")


@router.get("/referrals/{referral_id}/withdraw", response_class=HTMLResponse)
async def withdraw_page(team: TeamPage, referral_id: str) -> Response:
    return _reason_page(team, await _load(team, referral_id), "withdraw")


@router.get("/referrals/{referral_id}/complete", response_class=HTMLResponse)
async def complete_page(
    team: TeamPage,
    referral_id: str,
    kind: Annotated[str | None, Query(alias="outcome-type")] = None,
    asked: str = "",
) -> Response:
    """Step one asks what the outcome was (a GET form); step two asks about that outcome."""
    referral = await _load(team, referral_id)
    allowed = OUTCOME_TYPES_FOR_SERVICE[referral.service]
    if (kind is None and not asked) or kind in allowed:
        return _complete_page(team, referral, kind=kind or "", values={"outcome-type": kind or ""})
    problem = [FieldError("outcome.type", "Select the outcome of the referral", "outcome-type")]
    return _complete_page(team, referral, errors=problem, status_code=422)


async def submit(team: Page, referral_id: str, step: str) -> Response:
    """A lifecycle form posted from the page: check, act, then show the referral."""
    request = team.request
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        verify_csrf(request, form.get("csrf_token"), team.pages.secret)
    except CsrfError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    referral = await _load(team, referral_id)
    arguments: dict[str, Any] = {}
    if step in ("decline", "withdraw"):
        reason = form.get("reason", "").strip()
        if not reason:
            problem = [FieldError("reason", forms.REASON_MISSING[step], "reason")]
            return _reason_page(team, referral, step, errors=problem, status_code=422)
        arguments["reason"] = reason
    elif step == "complete":
        outcome, problems = forms.outcome_from_form(form)
        if problems:
            kind = outcome.get("type", "")
            return _complete_page(
                team, referral, kind=kind, values=form, errors=problems, status_code=422
            )
        arguments["outcome"] = outcome
    changed = await take_step(team.uow, team.clock, team.principal, referral_id, step, arguments)
    if isinstance(changed, Refusal):
        return await _refused(team, referral, step, form, arguments, changed)
    target = f"/referrals/{changed.referral_id}?done={changed.status}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


async def _refused(
    team: Page,
    referral: Referral,
    step: str,
    form: dict[str, str],
    arguments: dict[str, Any],
    refusal: Refusal,
) -> Response:
    """The page again, with the refusal as a GOV.UK error summary."""
    if refusal.field == "reason":
        problem = [FieldError("reason", forms.REASON_MISSING[step], "reason")]
        return _reason_page(team, referral, step, errors=problem, status_code=refusal.status)
    if isinstance(refusal.error, InvalidOutcome):
        kind = "" if refusal.error.field == "type" else arguments["outcome"].get("type", "")
        problem = [forms.field_error(refusal.error)]
        return _complete_page(
            team, referral, kind=kind, values=form, errors=problem, status_code=refusal.status
        )
    problem = [FieldError(step, f"You cannot do that: {refusal.message}", "")]
    return await detail_page(team, referral.referral_id, errors=problem, status_code=refusal.status)
