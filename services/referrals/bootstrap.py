"""The referrals service's composition root."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from fastapi import FastAPI

from services.referrals.entrypoints import http, kafka
from services.referrals.service_layer.handlers import HANDLERS
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from services.referrals.settings import ReferralsSettings
from shared.events import OUTBOUND_BODIES, parse_event
from shared.messaging.outbox import AfterPublishHook
from shared.messaging.processor import EventProcessor
from shared.runtime import ServiceRuntime, http_app

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

    def unit_of_work(self) -> ReferralsUnitOfWork:
        return self.runtime.unit_of_work(ReferralsUnitOfWork)


def bootstrap(
    settings: ReferralsSettings | None = None,
    *,
    consume: bool = True,
    after_publish: AfterPublishHook | None = None,
) -> Referrals:
    settings = settings or ReferralsSettings()
    runtime = ServiceRuntime.create(settings, consume=consume, after_publish=after_publish)

    def unit_of_work() -> ReferralsUnitOfWork:
        return runtime.unit_of_work(ReferralsUnitOfWork)

    processor = EventProcessor(
        "referrals",
        unit_of_work,
        HANDLERS,
        partial(parse_event, accepted=REGISTRY_EVENTS),
        ignored=set(REGISTRY_EVENTS) - set(HANDLERS),
    )
    kafka.register_subscribers(runtime.broker, processor, settings)
    app = http_app(
        runtime,
        title="Carers Connect referrals",
        description="Consent-led referrals and the council referral team's work queue.",
    )
    app.state.unit_of_work = unit_of_work
    app.include_router(http.router)
    return Referrals(settings, runtime, processor, app)
