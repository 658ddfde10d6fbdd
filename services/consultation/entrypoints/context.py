"""What the routes share: the catalogue, clock, renderer, limiter and unit of work, held on
``app.state`` by ``bootstrap()`` so routes stay thin and tests can swap the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request, status

from services.consultation.domain.definition import Consultation
from services.consultation.entrypoints.ratelimit import TokenBucket
from services.consultation.service_layer.unit_of_work import ConsultationUnitOfWork
from shared.web import PageRenderer


@dataclass
class Web:
    consultations: dict[str, Consultation]
    clock: Callable[[], datetime]
    pages: PageRenderer
    limiter: TokenBucket
    unit_of_work: Callable[[], ConsultationUnitOfWork]
    classifier: Callable[[], Any]
    themes: Callable[[], Any]
    trust_forwarded_for: bool = False

    def consultation(self, slug: str) -> Consultation:
        found = self.consultations.get(slug)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no consultation {slug!r}")
        return found

    def client(self, request: Request) -> str:
        forwarded = request.headers.get("x-forwarded-for") if self.trust_forwarded_for else None
        if forwarded:
            return forwarded.split(",")[0].strip()
        return request.client.host if request.client else "unknown"


def web(request: Request) -> Web:
    return request.app.state.web  # type: ignore[no-any-return]


def wants_html(request: Request) -> bool:
    """A browser's form post or page request, rather than an API call."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept
