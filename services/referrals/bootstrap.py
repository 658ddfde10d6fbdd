"""The referrals service's composition root.

Wires the registry-event consumer, the overdue sweep, the API and the team's web page to one
runtime. ``clock`` and ``calendar`` are injectable so tests can stand on either side of a
deadline or a bank holiday; nothing connects until the runtime starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.referrals.domain.working_days import WorkingCalendar, england_and_wales
from services.referrals.entrypoints import display, http, kafka, web
from services.referrals.entrypoints.deps import Wiring, install
from services.referrals.service_layer.handlers import ServiceLevel, batch_handlers, handlers
from services.referrals.service_layer.sweep import mark_overdue, sweep_periodically
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from services.referrals.settings import ReferralsSettings
from shared.clock import Clock, SystemClock
from shared.events import OUTBOUND_BODIES, parse_event
from shared.messaging.outbox import AfterPublishHook
from shared.messaging.processor import EventProcessor
from shared.runtime import ServiceRuntime, http_app
from shared.web import PageRenderer, make_environment, mount_assets
from shared.web.negotiation import wants_html
from shared.web.staff import sign_in_router

TEMPLATES = Path(__file__).parent / "entrypoints" / "templates"
SERVICE_NAME = "Carers referrals"
REGISTRY_EVENTS = {
    t: OUTBOUND_BODIES[t]
    for t in ("carer.registered", "carer.updated", "carer.merged", "carer.erased")
}


@dataclass
class Referrals:
    settings: ReferralsSettings
    runtime: ServiceRuntime
    processor: EventProcessor[ReferralsUnitOfWork]
    app: FastAPI
    clock: Clock

    def unit_of_work(self) -> ReferralsUnitOfWork:
        return self.runtime.unit_of_work(ReferralsUnitOfWork)

    async def sweep(self, now: datetime | None = None) -> int:
        """Flag what is overdue now (or at ``now``); what the periodic sweep does each time."""
        return await mark_overdue(self.unit_of_work, now or self.clock.now())


def bootstrap(
    settings: ReferralsSettings | None = None,
    *,
    consume: bool = True,
    sweep: bool = True,
    clock: Clock | None = None,
    calendar: WorkingCalendar | None = None,
    after_publish: AfterPublishHook | None = None,
) -> Referrals:
    settings = settings or ReferralsSettings()
    clock = clock or SystemClock()
    runtime = ServiceRuntime.create(settings, consume=consume, after_publish=after_publish)

    def unit_of_work() -> ReferralsUnitOfWork:
        return runtime.unit_of_work(ReferralsUnitOfWork)

    level = ServiceLevel(settings.overdue_working_days, calendar or england_and_wales())
    processor = EventProcessor(
        "referrals",
        unit_of_work,
        handlers(),
        partial(parse_event, accepted=REGISTRY_EVENTS),
        batch_handlers=batch_handlers(level),
        ignored={"consent.widened"},  # the carer.updated that goes with it carries the consent
    )
    kafka.register_subscribers(runtime.broker, processor, settings)

    async def sweep_overdue() -> None:
        await sweep_periodically(unit_of_work, clock, settings.overdue_sweep_seconds)

    app = http_app(
        runtime,
        title="Carers Connect referrals",
        description="Consent-led referrals and the referral teams' work queue.",
        background=[sweep_overdue] if sweep else [],
    )
    env = make_environment(TEMPLATES)
    display.register(env, working_days=settings.overdue_working_days)
    pages = PageRenderer(
        env,
        service_name=SERVICE_NAME,
        secret=settings.token_secret,
        navigation=[{"href": "/", "text": "Referral queue"}],
    )
    install(app, Wiring(unit_of_work, clock, pages))
    mount_assets(app)
    app.include_router(web.router)
    app.include_router(http.router)
    app.include_router(sign_in_router(pages))
    _error_pages(app, pages)
    return Referrals(settings, runtime, processor, app, clock)


def _error_pages(app: FastAPI, pages: PageRenderer) -> None:
    """Browsers get a GOV.UK style page (or the sign-in page); API clients keep JSON."""
    titles = {
        401: "Sign in to see this page",
        403: "You cannot see this page",
        404: "Page not found",
    }

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if not wants_html(request):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        if error.status_code == 401 and request.method == "GET":
            return RedirectResponse(f"/staff/sign-in?next={request.url.path}", status_code=303)
        context = {
            "title": titles.get(error.status_code, "Sorry, there is a problem"),
            "message": str(error.detail),
            "sign_in": error.status_code == 401,
        }
        return pages.render(request, "message.html", context, status_code=error.status_code)
