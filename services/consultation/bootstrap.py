"""The consultation service's composition root.

Reads the consultation definitions (failing fast on a malformed one), wires the public
pages, staff pages and APIs to one runtime, and takes an injectable ``clock`` so tests can
stand on either side of a close date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from services.consultation.adapters.catalogue import (
    load_consultations,
    load_themes,
    shipped_classifier,
    theme_model,
)
from services.consultation.adapters.theme_model import ThemeModel
from services.consultation.domain.definition import Consultation
from services.consultation.entrypoints import public, staff, themes
from services.consultation.entrypoints.deps import Wiring, install
from services.consultation.entrypoints.ratelimit import TokenBucket
from services.consultation.service_layer.unit_of_work import ConsultationUnitOfWork
from services.consultation.settings import ConsultationSettings
from shared.clock import Clock, SystemClock
from shared.runtime import ServiceRuntime, http_app
from shared.web import PageRenderer, make_environment, mount_assets
from shared.web.negotiation import wants_html
from shared.web.staff import sign_in_router

TEMPLATES = Path(__file__).parent / "entrypoints" / "templates"
SERVICE_NAME = "Have your say: carers consultations"


@dataclass
class ConsultationService:
    settings: ConsultationSettings
    runtime: ServiceRuntime
    app: FastAPI
    web: Wiring

    def unit_of_work(self) -> ConsultationUnitOfWork:
        return self.runtime.unit_of_work(ConsultationUnitOfWork)


def sentence_model() -> ThemeModel:
    """The sentence model themes are read with (the CLI's ``themes model`` prints it)."""
    return theme_model()


def catalogue(settings: ConsultationSettings) -> dict[str, Consultation]:
    """Shipped definitions, plus any in ``definitions_dir``, on the deployment's schedule."""
    from services.consultation.adapters.catalogue import DATA

    folders = [DATA / "consultations"]
    if settings.definitions_dir:
        folders.append(Path(settings.definitions_dir))
    found = load_consultations(*folders)
    for slug, (opens, closes) in settings.schedule.items():
        if slug in found:
            zone = found[slug].closes.tzinfo
            start, end = datetime.fromisoformat(opens), datetime.fromisoformat(closes)
            found[slug] = found[slug].with_dates(
                start if start.tzinfo else start.replace(tzinfo=zone),
                end if end.tzinfo else end.replace(tzinfo=zone),
            )
    return found


def bootstrap(
    settings: ConsultationSettings | None = None,
    *,
    clock: Clock | None = None,
) -> ConsultationService:
    settings = settings or ConsultationSettings()
    clock = clock or SystemClock()
    runtime = ServiceRuntime.create(settings, consume=False)
    app = http_app(
        runtime,
        title="Carers Connect consultation",
        description="The public consultation on the draft Leicestershire Carers Strategy.",
    )
    pages = PageRenderer(
        make_environment(TEMPLATES),
        service_name=SERVICE_NAME,
        secret=settings.token_secret,
    )

    def unit_of_work() -> ConsultationUnitOfWork:
        return runtime.unit_of_work(ConsultationUnitOfWork)

    web = Wiring(
        consultations=catalogue(settings),
        unit_of_work=unit_of_work,
        clock=clock,
        pages=pages,
        limiter=TokenBucket(settings.rate_limit_per_minute, settings.rate_limit_burst, clock),
        classifier=lru_cache(maxsize=1)(shipped_classifier),
        themes=load_themes,
        trust_forwarded_for=settings.trust_forwarded_for,
    )
    install(app, web)
    mount_assets(app)
    app.include_router(public.router)
    app.include_router(staff.router)
    app.include_router(themes.router)
    app.include_router(sign_in_router(pages))
    _error_pages(app, pages)
    return ConsultationService(settings, runtime, app, web)


def _error_pages(app: FastAPI, pages: PageRenderer) -> None:
    """Browsers get a GOV.UK style page for 401/403/404; APIs keep FastAPI's JSON."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if wants_html(request) or (
            request.method == "GET" and "text/html" in request.headers.get("accept", "")
        ):
            titles = {
                401: "Sign in to see this page",
                403: "You cannot see this page",
                404: "Page not found",
            }
            context = {
                "title": titles.get(error.status_code, "Sorry, there is a problem"),
                "message": _plain(error.detail),
                "sign_in": error.status_code == 401,
            }
            return pages.render(
                request,
                "message.html",
                context,
                status_code=error.status_code,
                headers=error.headers,
            )
        return JSONResponse(
            {"detail": error.detail}, status_code=error.status_code, headers=error.headers
        )


def _plain(detail: object) -> str:
    """An error's detail as a sentence: FastAPI-style lists become their messages."""
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    return str(detail)
