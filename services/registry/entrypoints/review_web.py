"""The council's review page for possible duplicates (issue 17, item 4), and the staff
pages' wiring (sign-in, layout, CSRF) shared with the GP list page.

``/staff/reviews`` lists identifications held because they matched several records;
``/staff/reviews/{id}`` shows the held identification beside each candidate record (only
what the decision needs: ``domain.review_view``) with a form: keep apart, or merge into one
of the candidates, with a reason (required). The decision goes through
``handlers.resolve_review``, the same function as ``POST /reviews/{id}/resolve``, so the rule
exists once. Every page that shows candidates and every decision is written to the audit log.

Council officers only (their own name on the decision): ``admin`` may use the JSON API but
not this page. No JavaScript: forms post with the CSRF token, answered by a redirect
(post/redirect/get) or the same page again with an error summary and the answers kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.registry.adapters.orm import MatchReview
from services.registry.domain.model import Carer
from services.registry.domain.review_view import PersonView, candidate_view, held_view
from services.registry.entrypoints import gp
from services.registry.entrypoints.deps import Clock, UnitOfWork
from services.registry.entrypoints.staff_access import PageRefused, page_caller
from services.registry.service_layer.audit import audit, review_action
from services.registry.service_layer.handlers import ReviewConflict, resolve_review
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.registry.settings import RegistrySettings
from shared.auth import Principal
from shared.events import parse_inbound
from shared.web import PageRenderer, make_environment
from shared.web.forms import FieldError
from shared.web.staff import sign_in_router

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


router = APIRouter(tags=["council review pages"], include_in_schema=False)
OfficerPage = Annotated[Principal, Depends(page_caller("council"))]
KEEP_APART = "keep_apart"
MAX_REASON = 2000


def install(app: FastAPI, settings: RegistrySettings) -> PageRenderer:
    """The staff pages: sign-in, the council's review pages and the GP's list page."""
    renderer = PageRenderer(
        make_environment(TEMPLATES / "review", TEMPLATES / "gp"),
        service_name="Carers Connect",
        service_url="/staff/reviews",
        secret=settings.token_secret,
    )
    app.state.staff_pages = renderer

    @app.exception_handler(PageRefused)
    async def refused(request: Request, error: PageRefused) -> Response:
        title = "You cannot see this page" if error.status_code == 403 else "Sign in again"
        context = {"title": title, "message": error.message}
        return renderer.render(request, "refused.html", context, status_code=error.status_code)

    app.include_router(router)
    app.include_router(gp.pages)
    app.include_router(sign_in_router(renderer, after="/staff/reviews"))
    return renderer


def _pages(request: Request) -> PageRenderer:
    renderer: PageRenderer = request.app.state.staff_pages
    return renderer


def _held(review: MatchReview) -> PersonView:
    envelope, identification = parse_inbound(review.envelope.encode())
    return held_view(envelope.time, identification)


@router.get("/staff/reviews", response_class=HTMLResponse)
async def reviews_page(
    request: Request, uow: UnitOfWork, principal: OfficerPage, done: str = ""
) -> Response:
    async with uow:
        reviews = await uow.carers.open_reviews()
    rows = [
        {
            "review_id": r.review_id,
            "held": _held(r),
            "candidates": len(uow.carers.review_candidates(r)),
            "created_at": r.created_at,
        }
        for r in reviews
    ]
    done = done if done in ("merged", "kept_apart") else ""
    return _pages(request).render(request, "reviews.html", {"reviews": rows, "done": done})


async def _comparison(
    uow: RegistryUnitOfWork, review: MatchReview, principal: Principal
) -> tuple[PersonView, list[PersonView]]:
    """The held identification and its candidates still held; each shown is audited."""
    candidates: list[Carer] = []
    for carer_id in uow.carers.review_candidates(review):
        carer = await uow.carers.get(carer_id)
        if carer is not None:
            candidates.append(carer)
            audit(uow, principal, "review_page", carer_id)
    return _held(review), [candidate_view(c) for c in candidates]


async def _review_page(
    request: Request,
    uow: RegistryUnitOfWork,
    principal: Principal,
    review_id: str,
    *,
    answers: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    async with uow:
        uow.carers.lock_rows = False
        review = await uow.carers.review(review_id)
        if review is None or review.status != "open":
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such open review")
        held, candidates = await _comparison(uow, review, principal)
        await uow.commit()
    context: dict[str, Any] = {
        "review": review,
        "held": held,
        "candidates": candidates,
        "answers": answers or {},
        "errors": errors or [],
        "max_reason": MAX_REASON,
    }
    return _pages(request).render(request, "review.html", context, status_code=status_code)


@router.get("/staff/reviews/{review_id}", response_class=HTMLResponse)
async def review_page(
    request: Request, uow: UnitOfWork, principal: OfficerPage, review_id: str
) -> Response:
    return await _review_page(request, uow, principal, review_id)


def _check(decision: str, reason: str, candidates: list[str]) -> list[FieldError]:
    errors = []
    merge_into = decision.removeprefix("merge:")
    if decision != KEEP_APART and (
        not decision.startswith("merge:") or merge_into not in candidates
    ):
        errors.append(
            FieldError("decision", "Select keep apart or a record to merge into", "decision")
        )
    if not reason.strip():
        errors.append(FieldError("reason", "Enter the reason for your decision", "reason"))
    elif len(reason) > MAX_REASON:
        errors.append(
            FieldError("reason", f"Reason must be {MAX_REASON} characters or fewer", "reason")
        )
    return errors


@router.post("/staff/reviews/{review_id}", response_class=HTMLResponse)
async def decide_review(
    request: Request,
    uow: UnitOfWork,
    clock: Clock,
    principal: OfficerPage,
    review_id: str,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    answers = {"decision": decision, "reason": reason}
    async with uow:
        review = await uow.carers.review(review_id)
        if review is None or review.status != "open":
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such open review")
        errors = _check(decision, reason, uow.carers.review_candidates(review))
        if not errors:
            merge = decision != KEEP_APART
            try:
                carer = await resolve_review(
                    uow,
                    review,
                    "merge" if merge else KEEP_APART,
                    decision.removeprefix("merge:") if merge else None,
                    [],
                    clock.now(),
                    decided_by=principal.subject,
                    reason=reason,
                )
            except ReviewConflict as conflict:
                errors = [FieldError("decision", str(conflict).capitalize(), "decision")]
            else:
                audit(
                    uow, principal, review_action("merge" if merge else KEEP_APART), carer.carer_id
                )
                await uow.commit()
                done = "merged" if merge else "kept_apart"
                return RedirectResponse(
                    f"/staff/reviews?done={done}", status_code=status.HTTP_303_SEE_OTHER
                )
    # A second transaction on the same factory: the failed decision's session is gone.
    return await _review_page(
        request, uow, principal, review_id, answers=answers, errors=errors, status_code=422
    )
