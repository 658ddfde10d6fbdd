"""What the routes share, held on ``app.state.web`` by ``bootstrap()`` so routes stay thin
and tests can swap the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from shared.web import PageRenderer


@dataclass
class Web:
    unit_of_work: Callable[[], ReferralsUnitOfWork]
    clock: Callable[[], datetime]
    pages: PageRenderer
    secret: str
    working_days: int


def web(request: Request) -> Web:
    return request.app.state.web  # type: ignore[no-any-return]


def is_form(request: Request) -> bool:
    """A browser's form post rather than an API call."""
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def wants_html(request: Request) -> bool:
    """A browser asking for a page (or posting a form), rather than an API client."""
    if is_form(request):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept
