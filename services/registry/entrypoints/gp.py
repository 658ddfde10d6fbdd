"""A GP practice's "carers to code" list (issue 17): JSON for practice systems, and a page.

``GET /gp/carers-to-code`` (GP role, bearer token) answers the caller's own practice's list
and nobody else's: the practice is the token's organisation, never a parameter, so there is
nothing to ask for another practice's list with. ``GET /staff/gp/carers-to-code`` is the same
list as a GOV.UK page for practice staff signed in with the staff cookie. Both go through
``service_layer.gp_coding.carers_to_code``: every carer shown is checked with the read rule
and written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.registry.entrypoints.deps import Gp, UnitOfWork
from services.registry.entrypoints.staff_access import page_caller
from services.registry.service_layer.gp_coding import MAX_PAGE_SIZE, carers_to_code
from shared.auth import Principal

router = APIRouter(tags=["gp coding"])
pages = APIRouter(tags=["gp coding pages"], include_in_schema=False)
GpPage = Annotated[Principal, Depends(page_caller("gp"))]
PAGE_SIZE = 25

Page = Annotated[int, Query(ge=1, le=100_000, description="1 for the first page")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="items per page")]


@router.get(
    "/gp/carers-to-code",
    summary="Your practice's patients who are carers and not yet coded (GP role, audited)",
)
async def list_carers_to_code(
    uow: UnitOfWork, principal: Gp, page: Page = 1, page_size: PageSize = PAGE_SIZE
) -> dict[str, Any]:
    async with uow:
        found = await carers_to_code(uow, principal, page, page_size)
    return {
        "practice_ods_code": principal.org.upper(),
        "items": found.items,
        "page": found.page,
        "page_size": found.page_size,
        "total": found.total,
    }


@pages.get("/staff/gp/carers-to-code", response_class=HTMLResponse)
async def carers_to_code_page(
    request: Request, uow: UnitOfWork, principal: GpPage, page: int = 1
) -> Response:
    page = min(max(page, 1), 100_000)
    async with uow:
        found = await carers_to_code(uow, principal, page, PAGE_SIZE)
    pages_total = max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)

    def href(number: int) -> str:
        return "/staff/gp/carers-to-code?" + urlencode({"page": number})

    context = {
        "principal": principal,
        "items": found.items,
        "total": found.total,
        "page": found.page,
        "pages": pages_total,
        "previous_href": href(page - 1) if page > 1 else "",
        "next_href": href(page + 1) if page < pages_total else "",
    }
    renderer = request.app.state.staff_pages
    return renderer.render(request, "gp_carers_to_code.html", context)  # type: ignore[no-any-return]
