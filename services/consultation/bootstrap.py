"""The consultation service's composition root.

Walking skeleton: the service runs, migrates its database and answers ``/health``; the
consultation itself comes with the consultation issue.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from services.consultation.settings import ConsultationSettings
from shared.runtime import ServiceRuntime, http_app


@dataclass
class Consultation:
    settings: ConsultationSettings
    runtime: ServiceRuntime
    app: FastAPI


def bootstrap(settings: ConsultationSettings | None = None) -> Consultation:
    settings = settings or ConsultationSettings()
    runtime = ServiceRuntime.create(settings, consume=False)
    app = http_app(
        runtime,
        title="Carers Connect consultation",
        description="The public consultation on the draft Leicestershire Carers Strategy.",
    )
    return Consultation(settings, runtime, app)
