"""Claims held about carers (contract 6.2-6.3): the council's API and the carer's page.

- ``GET /claims`` (council, admin): pending claims, what each would change (field names
  only); audited against each carer.
- ``POST /claims/{claim_id}/verify`` and ``/reject`` (a council officer): verify applies the
  claim as if the carer said it, attributed to the officer; audited.
- ``/self-service/your-support/claims``: the signed-in carer sees what was said about them
  and confirms it or says it was not them. Signing in took a code sent to a channel already
  on the record, so only the real carer gets here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from services.registry.domain.consent import Recorder
from services.registry.entrypoints.deps import Clock, Officer, UnitOfWork
from services.registry.entrypoints.deps import Council as Staff
from services.registry.selfservice.entrypoints.pages import here, is_easy, pages_on, posted_form
from services.registry.selfservice.entrypoints.web import selfservice_web
from services.registry.service_layer import claims as cases
from shared.auth import Principal

router = APIRouter(tags=["claims"])
pages = pages_on(router)  # the carer's own page, beside the council's API
CARER = {"subject": "self-service", "role": "carer", "org": "self"}


def _who(principal: Principal) -> dict[str, str]:
    return {"subject": principal.subject, "role": principal.role, "org": principal.org}


@router.get("/claims", summary="Claims held about carers, waiting to be confirmed (audited)")
async def list_claims(
    uow: UnitOfWork, principal: Staff, carer_id: str | None = None
) -> list[dict[str, Any]]:
    async with uow:
        rows = await cases.pending_claims(uow, _who(principal), carer_id)
    return [cases.claim_summary(r) for r in rows]


@router.post("/claims/{claim_id}/verify", summary="An officer verified the claim: apply it")
async def verify_claim(
    uow: UnitOfWork, clock: Clock, principal: Officer, claim_id: str
) -> dict[str, Any]:
    officer = Recorder(principal.role, principal.org, None, principal.subject, carer=True)
    try:
        async with uow:
            carer = await cases.apply_claim(uow, claim_id, officer, _who(principal), clock.now())
    except cases.ClaimNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "claim_id: no such claim") from None
    except cases.ClaimConflict as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from None
    return {"claim_id": claim_id, "status": "applied", "carer_id": carer.carer_id}


@router.post("/claims/{claim_id}/reject", summary="An officer could not verify the claim")
async def reject_claim(
    uow: UnitOfWork, clock: Clock, principal: Officer, claim_id: str
) -> dict[str, Any]:
    by = {"kind": principal.role, "org_code": principal.org, "subject": principal.subject}
    try:
        async with uow:
            row = await cases.reject_claim(uow, claim_id, by, _who(principal), clock.now())
    except cases.ClaimNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "claim_id: no such claim") from None
    except cases.ClaimConflict as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from None
    return {"claim_id": claim_id, "status": "rejected", "carer_id": row.carer_id}


# -- the carer's own page ------------------------------------------------------------------


@pages("/your-support/claims", "GET", summary="Your support: check what was said about you")
async def claims_page(request: Request, uow: UnitOfWork) -> Response:
    w = selfservice_web(request)
    carer_id = w.session_carer(request)
    if carer_id is None:
        return RedirectResponse(here(request, "/check"), status_code=303)
    async with uow:
        rows = await cases.pending_claims(uow, CARER, carer_id)
    context = {
        "easy": is_easy(request),
        "claims": [{"id": r.claim_id, **cases.claim_details(r)} for r in rows],
        "done": request.query_params.get("done"),
    }
    return w.render(request, "selfservice/claims.html", context)


@pages("/your-support/claims", "POST", summary="Your support: confirm, or say it was not you")
async def claims_submit(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w)
    if isinstance(form, Response):
        return form
    carer_id = w.session_carer(request)
    if carer_id is None:
        return RedirectResponse(here(request, "/check"), status_code=303)
    claim_id = str(form.get("claim") or "")
    decision = str(form.get("decision") or "")
    now = clock.now()
    try:
        async with uow:
            if decision == "confirm":
                carer = Recorder("self", carer=True)
                await cases.apply_claim(uow, claim_id, carer, CARER, now, carer_id=carer_id)
            elif decision == "reject":
                by = {"kind": "self", "org_code": None}
                await cases.reject_claim(uow, claim_id, by, CARER, now, carer_id=carer_id)
    except (cases.ClaimNotFound, cases.ClaimConflict):
        pass  # already decided, or not theirs: the page shows what is still waiting
    done = decision if decision in ("confirm", "reject") else ""
    return RedirectResponse(here(request, f"/your-support/claims?done={done}"), 303)
