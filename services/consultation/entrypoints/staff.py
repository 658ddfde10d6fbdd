"""Council and admin endpoints: results, report (HTML and PDF), export, paper returns,
imports and the council's "we did" reply (contract 5; bearer token or the staff cookie)."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from services.consultation.domain import results as R
from services.consultation.domain.definition import Consultation
from services.consultation.domain.tabular import ImportError_
from services.consultation.entrypoints.charts import bar_chart
from services.consultation.entrypoints.deps import (
    Council,
    CouncilPage,
    Found,
    Pages,
    ServiceClock,
    UnitOfWork,
)
from services.consultation.entrypoints.pdf import render_pdf
from services.consultation.entrypoints.public import form_page
from services.consultation.service_layer import handlers
from shared.clock import Clock
from shared.web import PageRenderer

router = APIRouter(tags=["consultation staff"])


def _filters(respondent_type: str | None = None, equality: str | None = None) -> R.Filters:
    """The query's filters: ``equality=age_band:65 to 74`` picks one equality group."""
    if not equality:
        return R.Filters(respondent_type=respondent_type)
    question, _, option = equality.partition(":")
    return R.Filters(respondent_type, question.strip(), option.strip())


ResultFilters = Annotated[R.Filters, Depends(_filters)]


async def _results(
    uow: UnitOfWork, consultation: Consultation, filters: R.Filters
) -> dict[str, Any]:
    try:
        return await handlers.results(uow, consultation, filters)
    except R.GroupTooSmall as small:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["query", "equality"], "msg": str(small), "type": "small_group"}],
        ) from None
    except ValueError as wrong:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["query", "equality"], "msg": str(wrong), "type": "invalid"}],
        ) from None


@router.get(
    "/consultations/{slug}/results", summary="Counts and percentages per closed question; themes"
)
async def results(
    _: Council,
    consultation: Found,
    uow: UnitOfWork,
    filters: ResultFilters,
) -> dict[str, Any]:
    return await _results(uow, consultation, filters)


async def _report(
    request: Request,
    uow: UnitOfWork,
    clock: Clock,
    pages: PageRenderer,
    consultation: Consultation,
    filters: R.Filters,
    *,
    pdf: bool,
) -> Response:
    """The results with a chart per question, as the report page (or the page for a PDF)."""
    data = await _results(uow, consultation, filters)
    charts = {}
    for question in data["questions"]:
        for block in question.get("rows", [question]):
            key = f"{question['id']}-{block['id']}" if "rows" in question else question["id"]
            bars = [(o["option"], o["percent"], o["count"]) for o in block["options"]]
            charts[key] = bar_chart(f"chart-{key}", block["text"], bars)
    context = {
        "consultation": consultation,
        "data": data,
        "charts": charts,
        "generated": clock.now().astimezone(UTC),  # the report says UTC
        "pdf": pdf,
    }
    return pages.render(request, "report.html", context)


@router.get(
    "/consultations/{slug}/report", response_class=HTMLResponse, summary="HTML report with charts"
)
async def report(
    request: Request,
    _: CouncilPage,
    consultation: Found,
    uow: UnitOfWork,
    clock: ServiceClock,
    pages: Pages,
    filters: ResultFilters,
) -> Response:
    return await _report(request, uow, clock, pages, consultation, filters, pdf=False)


@router.get("/consultations/{slug}/report.pdf", summary="The HTML report as a PDF")
async def report_pdf(
    request: Request,
    _: CouncilPage,
    consultation: Found,
    uow: UnitOfWork,
    clock: ServiceClock,
    pages: Pages,
    filters: ResultFilters,
) -> Response:
    page = await _report(request, uow, clock, pages, consultation, filters, pdf=True)
    pdf = await asyncio.to_thread(render_pdf, bytes(page.body).decode())
    headers = {"Content-Disposition": f'inline; filename="{consultation.slug}-report.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/consultations/{slug}/export.csv", summary="All responses, one row each")
async def export_csv(_: CouncilPage, consultation: Found, uow: UnitOfWork) -> Response:
    text = await handlers.export(uow, consultation)
    headers = {"Content-Disposition": f'attachment; filename="{consultation.slug}-responses.csv"'}
    return Response(text.encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers=headers)


@router.post(
    "/consultations/{slug}/import", summary="Import responses from a Citizen Space style CSV"
)
async def import_csv(
    request: Request,
    principal: CouncilPage,
    consultation: Found,
    uow: UnitOfWork,
    clock: ServiceClock,
) -> Response:
    text = (await request.body()).decode("utf-8-sig", errors="replace")
    try:
        outcome = await handlers.import_responses(
            uow, consultation, text, by=principal.subject, now=clock.now()
        )
    except ImportError_ as wrong:
        return JSONResponse(
            {"detail": [{"loc": ["body"], "msg": str(wrong), "type": "invalid"}]}, status_code=422
        )
    return JSONResponse(outcome, status_code=201 if outcome["imported"] else 422)


@router.get(
    "/consultations/{slug}/paper-entry",
    response_class=HTMLResponse,
    summary="Key in a paper return",
)
async def paper_entry(
    request: Request, _: CouncilPage, consultation: Found, clock: ServiceClock, pages: Pages
) -> Response:
    return form_page(request, pages, clock, consultation, mode="paper", template="paper_entry.html")


class CouncilReply(BaseModel):
    we_asked: str = Field(min_length=1, max_length=5000)
    you_said: str = Field(min_length=1, max_length=10000)
    we_did: str = Field(min_length=1, max_length=10000)


@router.put(
    "/consultations/{slug}/council-response", summary="Publish 'we asked, you said, we did'"
)
async def council_response(
    _: Council, consultation: Found, body: CouncilReply, uow: UnitOfWork, clock: ServiceClock
) -> dict[str, Any]:
    reply = await handlers.publish_council_response(
        uow,
        consultation,
        we_asked=body.we_asked,
        you_said=body.you_said,
        we_did=body.we_did,
        at=clock.now(),
    )
    return {
        "consultation": consultation.slug,
        "published_at": reply.published_at.isoformat(),
        "url": f"/consultations/{consultation.slug}/we-asked-you-said-we-did",
    }
