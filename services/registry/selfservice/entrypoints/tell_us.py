"""Public self-service pages: "Tell us you are a carer" in one post.

Carers answer one question a page (``questions.py``); this is the single-page form's
``POST /self-service/tell-us``, kept for what posts every answer at once (the demo, tests,
a partner's assisted-digital tool). Submitting queues a ``carer.identified`` (kind ``self``)
on ``carers.inbound.v1`` and shows the carer their reference; errors come back on the
single-page form, every field named.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.registry.entrypoints.deps import Clock, UnitOfWork
from services.registry.selfservice.domain.plain_words import is_under_16
from services.registry.selfservice.entrypoints import forms
from services.registry.selfservice.entrypoints.pages import is_easy, pages_on, posted_form
from services.registry.selfservice.entrypoints.web import selfservice_web
from services.registry.selfservice.service_layer.use_cases import tell_us

router = APIRouter(tags=["self-service"])
pages = pages_on(router)


def form_context(values: Any, errors: list[Any], easy: bool) -> dict[str, Any]:
    def one(name: str) -> str:
        return str(values.get(name) or "") if values else ""

    def many(name: str) -> list[str]:
        return [str(v) for v in values.getlist(name)] if values else []

    return {
        "easy": easy,
        "errors": errors,
        "one": one,
        "many": many,
        "slots": range(1, forms.SLOTS + 1),
        "relationships": forms.RELATIONSHIPS,
        "needs": forms.NEEDS,
        "support": forms.SUPPORT,
        "channels": forms.CHANNELS,
    }


@pages("/tell-us", "POST", summary="Tell us you are a carer: every answer in one post")
async def tell_us_submit(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    easy = is_easy(request)
    form = await posted_form(request, w, w.form_limiter)
    if isinstance(form, Response):
        return form
    body, errors = forms.identification_from_form(form, easy=easy)
    if errors:
        context = form_context(form, errors, easy)
        return w.render(request, "selfservice/tell_us.html", context, status_code=422)
    async with uow:
        reference = await tell_us(uow, body)
    dob = forms.date_of_birth(form)
    context = {
        "easy": easy,
        "reference": reference,
        "under_16": is_under_16(dob, clock.now()),
        "shared": body["consent"]["share_with"],
        "reachable": any(c in ("email", "sms") for c in body["preferences"]["contact_channels"]),
    }
    return w.render(request, "selfservice/told.html", context)
