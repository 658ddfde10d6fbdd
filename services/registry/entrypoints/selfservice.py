"""Public self-service pages, part one: the start page and "Tell us you are a carer".

Open at any hour, no sign-in, no JavaScript needed; every page also comes in easy read under
``/self-service/easy-read/...``. Submitting queues a ``carer.identified`` (kind ``self``) on
``carers.inbound.v1`` and shows the carer their reference.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.registry.domain.access import SlidingWindow
from services.registry.domain.support import is_under_16
from services.registry.entrypoints import selfservice_forms as forms
from services.registry.entrypoints.selfservice_web import PREFIX, SelfServiceWeb, selfservice_web
from services.registry.service_layer.selfservice import tell_us
from shared.web.csrf import CsrfError, verify_csrf

router = APIRouter(tags=["self-service"])
EASY = "/easy-read"


def is_easy(request: Request) -> bool:
    return request.url.path.startswith(PREFIX + EASY)


def pages(path: str, *methods: str, summary: str) -> Callable[[Any], Any]:
    """Register a page at ``/self-service<path>`` and its easy read twin."""

    def register(endpoint: Any) -> Any:
        for prefix, words in ((PREFIX, summary), (PREFIX + EASY, f"{summary} (easy read)")):
            router.add_api_route(
                prefix + path,
                endpoint,
                methods=list(methods),
                response_class=HTMLResponse,
                summary=words,
                name=f"{endpoint.__name__}{'_easy' if prefix != PREFIX else ''}",
            )
        return endpoint

    return register


def problem(
    request: Request,
    w: SelfServiceWeb,
    title: str,
    text: str,
    status_code: int,
    headers: dict[str, str] | None = None,
) -> Response:
    context = {"title": title, "text": text, "easy": is_easy(request)}
    return w.render(
        request, "selfservice/problem.html", context, status_code=status_code, headers=headers
    )


async def checked_form(request: Request, w: SelfServiceWeb) -> Any:
    """The posted form, after its CSRF token (every self-service form carries one)."""
    form = await request.form()
    verify_csrf(request, str(form.get("csrf_token") or ""), w.settings.token_secret)
    return form


async def posted_form(
    request: Request, w: SelfServiceWeb, limiter: SlidingWindow | None = None
) -> Any:
    """The posted form, or the page refusing it: a bad CSRF token (403) or, with a
    ``limiter``, too many posts from this client (429). Every form handler starts here."""
    try:
        form = await checked_form(request, w)
    except CsrfError as error:
        return csrf_failed(request, w, error)
    wait = w.too_many(limiter, request) if limiter is not None else 0
    return slow_down(request, w, wait) if wait else form


def csrf_failed(request: Request, w: SelfServiceWeb, error: CsrfError) -> Response:
    return problem(
        request,
        w,
        "Sorry, this form has expired",
        f"{str(error)[:1].upper()}{str(error)[1:]}. Nothing was sent.",
        403,
    )


def slow_down(request: Request, w: SelfServiceWeb, wait: float) -> Response:
    minutes = max(1, round(wait / 60))
    return problem(
        request,
        w,
        "You have tried too many times",
        f"For your security, wait {minutes} minute{'s' if minutes != 1 else ''} and try again, "
        "or call us.",
        429,
        headers={"Retry-After": str(max(1, round(wait)))},
    )


@pages("", "GET", summary="Carers support: the start page")
async def start(request: Request) -> Response:
    w = selfservice_web(request)
    return w.render(request, "selfservice/start.html", {"easy": is_easy(request)})


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


@pages("/tell-us", "GET", summary="Tell us you are a carer: the form")
async def tell_us_page(request: Request) -> Response:
    w = selfservice_web(request)
    return w.render(request, "selfservice/tell_us.html", form_context(None, [], is_easy(request)))


@pages("/tell-us", "POST", summary="Tell us you are a carer: send, and get a reference")
async def tell_us_submit(request: Request) -> Response:
    w = selfservice_web(request)
    easy = is_easy(request)
    form = await posted_form(request, w, w.form_limiter)
    if isinstance(form, Response):
        return form
    body, errors = forms.identification_from_form(form, easy=easy)
    if errors:
        context = form_context(form, errors, easy)
        return w.render(request, "selfservice/tell_us.html", context, status_code=422)
    async with w.unit_of_work() as uow:
        reference = await tell_us(uow, body)
    dob = forms.date_of_birth(form)
    context = {
        "easy": easy,
        "reference": reference,
        "under_16": is_under_16(dob, datetime.now(UTC)),
        "shared": body["consent"]["share_with"],
        "reachable": any(c in ("email", "sms") for c in body["preferences"]["contact_channels"]),
    }
    return w.render(request, "selfservice/told.html", context)
