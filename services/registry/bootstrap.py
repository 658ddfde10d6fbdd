"""The registry's composition root: the one place its parts are chosen and wired."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.registry.entrypoints import http, kafka
from services.registry.service_layer.handlers import BATCH_HANDLERS, HANDLERS
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.registry.settings import RegistrySettings
from shared.events import parse_inbound
from shared.messaging.outbox import AfterPublishHook
from shared.messaging.processor import EventProcessor
from shared.runtime import ServiceRuntime, http_app


@dataclass
class Registry:
    settings: RegistrySettings
    runtime: ServiceRuntime
    processor: EventProcessor[RegistryUnitOfWork]
    app: FastAPI

    def unit_of_work(self) -> RegistryUnitOfWork:
        return self.runtime.unit_of_work(RegistryUnitOfWork)


def bootstrap(
    settings: RegistrySettings | None = None,
    *,
    consume: bool = True,
    after_publish: AfterPublishHook | None = None,
) -> Registry:
    settings = settings or RegistrySettings()
    runtime = ServiceRuntime.create(settings, consume=consume, after_publish=after_publish)

    def unit_of_work() -> RegistryUnitOfWork:
        return runtime.unit_of_work(RegistryUnitOfWork)

    processor = EventProcessor(
        "registry", unit_of_work, HANDLERS, parse_inbound, batch_handlers=BATCH_HANDLERS
    )
    kafka.register_subscribers(runtime.broker, processor, settings)
    app = http_app(
        runtime,
        title="Carers Connect registry",
        description="One carer record shared by every partner: tell us once.",
    )
    app.state.unit_of_work = unit_of_work
    app.include_router(http.router)
    return Registry(settings, runtime, processor, app)
