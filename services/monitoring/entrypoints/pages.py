"""The council's monitoring page and its downloads (council staff only).

``GET /monitoring`` shows every figure as a table with a chart beside it; the filters are a
plain GET form, so the page needs no JavaScript and a filtered view is a link to share.
``/monitoring/figures.json`` and ``/monitoring/figures.csv`` are the same tables. Bad
filters are answered 422 naming the parameter. Only the council's role may see any of it:
the figures are the council's, and other roles get 403 (as every staff page does).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.monitoring.domain import periods
from services.monitoring.domain.figures import CATEGORIES, SOURCE_KINDS, Filters, Table
from services.monitoring.entrypoints.charts import bar_chart
from services.monitoring.service_layer import handlers
from services.monitoring.service_layer.unit_of_work import MonitoringUnitOfWork
from shared.auth import Principal
from shared.web import PageRenderer
from shared.web.staff import require_staff

router = APIRouter(tags=["monitoring"])
Council = Annotated[Principal, Depends(require_staff("council"))]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class MonitoringWeb:
    unit_of_work: Callable[[], MonitoringUnitOfWork]
    pages: PageRenderer
    districts: Mapping[str, str]
    clock: Callable[[], datetime]


def web(request: Request) -> MonitoringWeb:
    found: MonitoringWeb = request.app.state.monitoring
    return found


def _invalid(field: str, message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"loc": ["query", field], "msg": f"{field}: {message}", "type": "invalid"}],
    )


@dataclass(frozen=True)
class Query:
    period: periods.Period
    year: periods.Period
    filters: Filters


def _query(
    w: MonitoringWeb, year: str, month: str, category: str, source: str, district: str
) -> Query:
    try:
        fy = periods.financial_year(year) if year else periods.year_of(w.clock())
    except ValueError as wrong:
        raise _invalid("year", str(wrong).removeprefix("year: ")) from None
    period = fy
    if month:
        try:
            period = periods.month(month)
        except ValueError as wrong:
            raise _invalid("month", str(wrong).removeprefix("month: ")) from None
        if not fy.start <= period.start < fy.end:
            raise _invalid("month", f"must be a month of the financial year {fy.label}")
    if category and category not in CATEGORIES:
        raise _invalid("category", f"must be one of {', '.join(CATEGORIES)}")
    if source and source not in SOURCE_KINDS:
        raise _invalid("source", f"must be one of {', '.join(SOURCE_KINDS)}")
    if district and district not in set(w.districts.values()):
        raise _invalid("district", "is not a district in the council's postcode table")
    return Query(period, fy, Filters(category or None, source or None, district or None))


async def _tables(w: MonitoringWeb, query: Query) -> list[Table]:
    async with w.unit_of_work() as uow:
        return await handlers.figures(uow, query.period, query.filters, w.districts)


@router.get("/", include_in_schema=False)
async def home() -> Response:
    return RedirectResponse("/monitoring", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/monitoring", response_class=HTMLResponse, summary="The figures, with charts")
async def page(
    request: Request,
    _: Council,
    year: str = "",
    month: str = "",
    category: str = "",
    source: str = "",
    district: str = "",
) -> Response:
    w = web(request)
    query = _query(w, year, month, category, source, district)
    tables = await _tables(w, query)
    charts = {
        t.id: bar_chart(
            f"chart-{t.id}",
            f"{t.title}: {t.columns[t.chart]}",
            [(r.label, _number(r.values[t.chart])) for r in t.rows],
        )
        for t in tables
        if t.chart is not None
    }
    this_year = periods.year_of(w.clock())
    first = int(this_year.label[:4])
    context: dict[str, Any] = {
        "query": query,
        "tables": tables,
        "charts": charts,
        "years": [periods.year_starting(y).label for y in range(first, first - 5, -1)],
        "months": [m.label for m in periods.months_of(query.year)],
        "categories": CATEGORIES,
        "sources": SOURCE_KINDS,
        "districts": sorted(set(w.districts.values())),
        "selected": {
            "year": query.year.label,
            "month": month,
            "category": category,
            "source": source,
            "district": district,
        },
        "download": str(request.url.query),
    }
    return w.pages.render(request, "monitoring.html", context)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@router.get("/monitoring/figures.json", summary="The figures as JSON (null: a hidden number)")
async def figures_json(
    request: Request,
    _: Council,
    year: str = "",
    month: str = "",
    category: str = "",
    source: str = "",
    district: str = "",
) -> JSONResponse:
    w = web(request)
    query = _query(w, year, month, category, source, district)
    tables = await _tables(w, query)
    return JSONResponse(handlers.as_json(query.period, query.filters, tables))


def neutralise(cell: str) -> str:
    """A spreadsheet shows the cell as text: a formula-like start gets a leading quote."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


@router.get("/monitoring/figures.csv", summary="The figures as CSV, one value a row")
async def figures_csv(
    request: Request,
    _: Council,
    year: str = "",
    month: str = "",
    category: str = "",
    source: str = "",
    district: str = "",
) -> Response:
    w = web(request)
    query = _query(w, year, month, category, source, district)
    tables = await _tables(w, query)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["period", "figure", "row", "column", "value"])
    for table in tables:
        for row in table.rows:
            for column, value in zip(table.columns, row.values, strict=True):
                shown = "suppressed" if value is None else str(value)
                cells = [query.period.label, table.title, row.label, column, shown]
                writer.writerow([neutralise(c) for c in cells])
    name = f"carers-monitoring-{query.period.label.replace('/', '-')}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(
        out.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers=headers
    )
