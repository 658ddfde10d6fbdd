"""The registry's composition root: the one place its parts are chosen and wired."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from functools import partial

from fastapi import FastAPI

from services.registry.domain.provenance import Attestor, attestation_key
from services.registry.entrypoints import (
    claims,
    fhir,
    fhir_metadata,
    gp,
    http,
    kafka,
    reads,
    review_web,
)
from services.registry.selfservice import bootstrap as selfservice
from services.registry.service_layer.handlers import (
    BATCH_HANDLERS,
    HANDLERS,
    REFERRAL_BATCH_HANDLERS,
    recategorise_carers,
)
from services.registry.service_layer.trust import trusted_parser
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.registry.settings import RegistrySettings
from shared import topics
from shared.clock import Clock, SystemClock
from shared.events import OUTBOUND_BODIES, parse_event, parse_inbound
from shared.kafka.principals import source_bound_parser
from shared.messaging.outbox import AfterPublishHook
from shared.messaging.processor import EventProcessor
from shared.runtime import ServiceRuntime, http_app
from shared.topics import TOPICS

log = logging.getLogger(__name__)
REFERRAL_EVENTS = {
    t: OUTBOUND_BODIES[t]
    for spec in TOPICS
    if spec.name == topics.REFERRALS
    for t in spec.event_types
}


@dataclass
class Registry:
    settings: RegistrySettings
    runtime: ServiceRuntime
    processor: EventProcessor[RegistryUnitOfWork]
    referral_processor: EventProcessor[RegistryUnitOfWork]
    app: FastAPI

    def unit_of_work(self) -> RegistryUnitOfWork:
        return self.app.state.unit_of_work()  # type: ignore[no-any-return]


def bootstrap(
    settings: RegistrySettings | None = None,
    *,
    consume: bool = True,
    after_publish: AfterPublishHook | None = None,
    clock: Clock | None = None,
) -> Registry:
    settings = settings or RegistrySettings()
    clock = clock or SystemClock()
    runtime = ServiceRuntime.create(settings, consume=consume, after_publish=after_publish)

    attestor = Attestor(attestation_key(settings.token_secret))

    def unit_of_work() -> RegistryUnitOfWork:
        uow = runtime.unit_of_work(RegistryUnitOfWork)
        uow.attestor = attestor  # what the registry writes to carers.inbound.v1 is attested
        return uow

    # Self-service keeps its own tables in step through the processors' after handlers
    # (references, referrals, erasure): the registry's handlers know nothing of it.
    processor = EventProcessor(
        "registry",
        unit_of_work,
        HANDLERS,
        trusted_parser(attestor, parse_inbound, clock),
        batch_handlers=BATCH_HANDLERS,
        after_handlers=selfservice.AFTER_HANDLERS,
    )
    referral_processor = EventProcessor(
        "registry",
        unit_of_work,
        {},
        partial(parse_event, accepted=REFERRAL_EVENTS),
        batch_handlers=REFERRAL_BATCH_HANDLERS,
        ignored=set(REFERRAL_EVENTS) - set(REFERRAL_BATCH_HANDLERS),
        after_handlers=selfservice.REFERRAL_AFTER_HANDLERS,
    )
    # Each partner's own inbound topic: the same rules, plus its source must be that partner's.
    partner_processors = {
        settings.topic(name): EventProcessor(
            "registry",
            unit_of_work,
            HANDLERS,
            source_bound_parser(
                settings.topic(name),
                trusted_parser(attestor, parse_inbound, clock),
                settings.kafka_topic_namespace,
            ),
            batch_handlers=BATCH_HANDLERS,
            after_handlers=selfservice.AFTER_HANDLERS,
        )
        for name in topics.PARTNER_INBOUND
    }
    kafka.register_subscribers(
        runtime.broker, processor, referral_processor, settings, partner_processors
    )

    async def recategorise_daily() -> None:
        while True:
            with contextlib.suppress(Exception):
                moved = await recategorise_carers(unit_of_work, clock.now())
                if moved:
                    log.info("recategorised %d carers", moved)
            await clock.sleep(settings.recategorise_seconds)

    app = http_app(
        runtime,
        title="Carers Connect registry",
        description="One carer record shared by every partner: tell us once.",
        background=[recategorise_daily] if consume else [],
    )
    app.state.unit_of_work = unit_of_work  # entrypoints/deps.py: UnitOfWork, Clock
    app.state.clock = clock
    app.state.attestor = attestor
    app.include_router(http.router)
    app.include_router(reads.router)
    app.include_router(fhir.router)
    app.include_router(fhir_metadata.router)  # GET /fhir/metadata: the CapabilityStatement
    app.include_router(gp.router)  # GET /gp/carers-to-code (issue 17)
    review_web.install(app, settings)  # staff pages: sign-in, duplicate reviews, GP list
    app.include_router(claims.router)  # its self-service page joins selfservice's router
    selfservice.install(app, settings)
    return Registry(settings, runtime, processor, referral_processor, app)
