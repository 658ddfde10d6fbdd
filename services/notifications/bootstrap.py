"""The notifications service's composition root."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from fastapi import FastAPI

from services.notifications.entrypoints import http, kafka
from services.notifications.service_layer.handlers import HANDLERS
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from services.notifications.settings import NotificationsSettings
from shared import topics
from shared.events import OUTBOUND_BODIES, parse_event
from shared.messaging.outbox import AfterPublishHook
from shared.messaging.processor import EventProcessor
from shared.runtime import ServiceRuntime, http_app
from shared.topics import TOPICS

CONSUMED = {
    t: OUTBOUND_BODIES[t]
    for spec in TOPICS
    if spec.name in (topics.REGISTRY, topics.REFERRALS)
    for t in spec.event_types
}


@dataclass
class Notifications:
    settings: NotificationsSettings
    runtime: ServiceRuntime
    processor: EventProcessor[NotificationsUnitOfWork]
    app: FastAPI

    def unit_of_work(self) -> NotificationsUnitOfWork:
        return self.runtime.unit_of_work(NotificationsUnitOfWork)


def bootstrap(
    settings: NotificationsSettings | None = None,
    *,
    consume: bool = True,
    after_publish: AfterPublishHook | None = None,
) -> Notifications:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime.create(settings, consume=consume, after_publish=after_publish)

    def unit_of_work() -> NotificationsUnitOfWork:
        return runtime.unit_of_work(NotificationsUnitOfWork)

    processor = EventProcessor(
        "notifications",
        unit_of_work,
        HANDLERS,
        partial(parse_event, accepted=CONSUMED),
        ignored=set(CONSUMED) - set(HANDLERS),
    )
    kafka.register_subscribers(runtime.broker, processor, settings)
    app = http_app(
        runtime,
        title="Carers Connect notifications",
        description="Email and SMS to carers, with consent, and never the same message twice.",
    )
    app.state.unit_of_work = unit_of_work
    app.include_router(http.router)
    return Notifications(settings, runtime, processor, app)
