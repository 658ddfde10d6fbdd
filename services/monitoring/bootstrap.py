"""The monitoring service's composition root.

Wires the read model's consumers (one per published topic), the council's pages and the
``rebuild`` command to one runtime. ``clock`` (which financial year is "this year") and
``calendar`` (working days) are injectable for tests; nothing connects until the runtime
starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.monitoring.adapters import offsets
from services.monitoring.domain.districts import parse_districts
from services.monitoring.domain.projection import HANDLED
from services.monitoring.entrypoints import kafka, pages
from services.monitoring.service_layer.handlers import batch_handlers
from services.monitoring.service_layer.unit_of_work import MonitoringUnitOfWork
from services.monitoring.settings import MonitoringSettings
from shared import topics
from shared.calendar import WorkingCalendar, england_and_wales
from shared.events import OUTBOUND_BODIES, parse_event
from shared.messaging.processor import EventProcessor
from shared.runtime import ServiceRuntime, http_app
from shared.web import PageRenderer, make_environment, mount_assets
from shared.web.staff import sign_in_router

TEMPLATES = Path(__file__).parent / "entrypoints" / "templates"
SERVICE_NAME = "Carers strategy figures"
READ_TOPICS = tuple(topic for topic, _, _ in kafka.SUBSCRIPTIONS)
# Every type published on the topics read: the ones not counted are skipped, not dead-lettered,
# so a new event type on a topic does not fill the dead-letter topic before the read model
# learns to count it.
PUBLISHED = {
    t: body
    for t, body in OUTBOUND_BODIES.items()
    if any(t in spec.event_types for spec in topics.TOPICS if spec.name in READ_TOPICS)
}


@dataclass
class Monitoring:
    settings: MonitoringSettings
    runtime: ServiceRuntime
    processor: EventProcessor[MonitoringUnitOfWork]
    app: FastAPI

    def unit_of_work(self) -> MonitoringUnitOfWork:
        return self.runtime.unit_of_work(MonitoringUnitOfWork)

    async def lag(self) -> int:
        """Records on the topics the read model has not consumed yet."""
        return await offsets.lag(self.settings, kafka.groups(self.settings))


def bootstrap(
    settings: MonitoringSettings | None = None,
    *,
    consume: bool = True,
    clock: Callable[[], datetime] | None = None,
    calendar: WorkingCalendar | None = None,
) -> Monitoring:
    settings = settings or MonitoringSettings()
    runtime = ServiceRuntime.create(settings, consume=consume)

    def unit_of_work() -> MonitoringUnitOfWork:
        return runtime.unit_of_work(MonitoringUnitOfWork)

    processor = EventProcessor(
        "monitoring",
        unit_of_work,
        {},
        partial(parse_event, accepted=PUBLISHED),
        batch_handlers=batch_handlers(calendar or england_and_wales()),
        ignored=set(PUBLISHED) - HANDLED,
    )
    kafka.register_subscribers(runtime.broker, processor, settings)
    app = http_app(
        runtime,
        title="Carers Connect monitoring",
        description="The council's carers strategy figures, from the published events.",
    )
    renderer = PageRenderer(
        make_environment(TEMPLATES),
        service_name=SERVICE_NAME,
        secret=settings.token_secret,
        navigation=[{"href": "/monitoring", "text": "Figures"}],
    )
    app.state.monitoring = pages.MonitoringWeb(
        unit_of_work,
        renderer,
        parse_districts(Path(settings.districts_csv).read_text(encoding="utf-8")),
        clock or (lambda: datetime.now(UTC)),
    )
    mount_assets(app)
    app.include_router(pages.router)
    app.include_router(sign_in_router(renderer, after="/monitoring"))
    _error_pages(app, renderer)
    return Monitoring(settings, runtime, processor, app)


def _error_pages(app: FastAPI, renderer: PageRenderer) -> None:
    """Browsers get a GOV.UK style page (or the sign-in page); downloads and APIs keep JSON."""
    titles = {401: "Sign in to see this page", 403: "You cannot see this page"}

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        browser = "text/html" in request.headers.get("accept", "")
        if not browser or request.url.path.startswith("/monitoring/figures"):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        if error.status_code == 401 and request.method == "GET":
            return RedirectResponse(f"/staff/sign-in?next={request.url.path}", status_code=303)
        detail = error.detail
        message = (
            "; ".join(str(d.get("msg", d)) for d in detail if isinstance(d, dict))
            if isinstance(detail, list)
            else str(detail)
        )
        context = {
            "title": titles.get(error.status_code, "Sorry, there is a problem"),
            "message": message,
            "sign_in": error.status_code == 401,
        }
        return renderer.render(request, "message.html", context, status_code=error.status_code)
