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

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from services.registry.domain.consent import Recorder
from services.registry.entrypoints.selfservice import EASY, is_easy, pages, posted_form
from services.registry.entrypoints.selfservice_web import PREFIX, selfservice_web
from services.registry.service_layer import claims as cases
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import Principal, require_role

router = APIRouter(tags=["claims"])
Staff = Annotated[Principal, Depends(require_role("council", "admin"))]
Officer = Annotated[Principal, Depends(require_role("council"))]
CARER = {"subject": "self-service", "role": "carer", "org": "self"}


def _uow(request: Request) -> RegistryUnitOfWork:
    return request.app.state.unit_of_work()  # type: ignore[no-any-return]


def _who(principal: Principal) -> dict[str, str]:
    return {"subject": principal.subject, "role": principal.role, "org": principal.org}


@router.get("/claims", summary="Claims held about carers, waiting to be confirmed (audited)")
async def list_claims(
    request: Request, principal: Staff, carer_id: str | None = None
) -> list[dict[str, Any]]:
    async with _uow(request) as uow:
        rows = await cases.pending_claims(uow, _who(principal), carer_id)
    return [cases.claim_summary(r) for r in rows]


@router.post("/claims/{claim_id}/verify", summary="An officer verified the claim: apply it")
async def verify_claim(request: Request, principal: Officer, claim_id: str) -> dict[str, Any]:
    officer = Recorder(principal.role, principal.org, None, principal.subject, carer=True)
    try:
        async with _uow(request) as uow:
            carer = await cases.apply_claim(
                uow, claim_id, officer, _who(principal), datetime.now(UTC)
            )
    except cases.ClaimNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "claim_id: no such claim") from None
    except cases.ClaimConflict as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from None
    return {"claim_id": claim_id, "status": "applied", "carer_id": carer.carer_id}


@router.post("/claims/{claim_id}/reject", summary="An officer could not verify the claim")
async def reject_claim(request: Request, principal: Officer, claim_id: str) -> dict[str, Any]:
    by = {"kind": principal.role, "org_code": principal.org, "subject": principal.subject}
    try:
        async with _uow(request) as uow:
            row = await cases.reject_claim(uow, claim_id, by, _who(principal), datetime.now(UTC))
    except cases.ClaimNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "claim_id: no such claim") from None
    except cases.ClaimConflict as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from None
    return {"claim_id": claim_id, "status": "rejected", "carer_id": row.carer_id}


# -- the carer's own page ------------------------------------------------------------------


def _here(request: Request, path: str) -> str:
    return PREFIX + (EASY if is_easy(request) else "") + path


@pages("/your-support/claims", "GET", summary="Your support: check what was said about you")
async def claims_page(request: Request) -> Response:
    w = selfservice_web(request)
    carer_id = w.session_carer(request)
    if carer_id is None:
        return RedirectResponse(_here(request, "/check"), status_code=303)
    async with w.unit_of_work() as uow:
        rows = await cases.pending_claims(uow, CARER, carer_id)
    context = {
        "easy": is_easy(request),
        "claims": [{"id": r.claim_id, **cases.claim_details(r)} for r in rows],
        "done": request.query_params.get("done"),
    }
    return w.render(request, "selfservice/claims.html", context)


@pages("/your-support/claims", "POST", summary="Your support: confirm, or say it was not you")
async def claims_submit(request: Request) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w)
    if isinstance(form, Response):
        return form
    carer_id = w.session_carer(request)
    if carer_id is None:
        return RedirectResponse(_here(request, "/check"), status_code=303)
    claim_id = str(form.get("claim") or "")
    decision = str(form.get("decision") or "")
    now = w.clock()
    try:
        async with w.unit_of_work() as uow:
            if decision == "confirm":
                carer = Recorder("self", carer=True)
                await cases.apply_claim(uow, claim_id, carer, CARER, now, carer_id=carer_id)
            elif decision == "reject":
                by = {"kind": "self", "org_code": None}
                await cases.reject_claim(uow, claim_id, by, CARER, now, carer_id=carer_id)
    except (cases.ClaimNotFound, cases.ClaimConflict):
        pass  # already decided, or not theirs: the page shows what is still waiting
    done = decision if decision in ("confirm", "reject") else ""
    return RedirectResponse(_here(request, f"/your-support/claims?done={done}"), 303)
