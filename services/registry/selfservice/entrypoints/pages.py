"""What every public self-service page shares: registering a page with its easy read twin,
the refusals (expired form, too many tries), and the start page.

Open at any hour, no sign-in, no JavaScript needed; every page also comes in easy read under
``/self-service/easy-read/...``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.registry.selfservice.domain.signin import SlidingWindow
from services.registry.selfservice.entrypoints.web import PREFIX, SelfServiceWeb, selfservice_web
from shared.web.csrf import CsrfError, verify_csrf

router = APIRouter(tags=["self-service"])
EASY = "/easy-read"
PageRegistrar = Callable[..., Callable[[Any], Any]]


def is_easy(request: Request) -> bool:
    return request.url.path.startswith(PREFIX + EASY)


def pages_on(router: APIRouter) -> PageRegistrar:
    """A decorator registering a page on ``router`` at ``/self-service<path>`` and its easy
    read twin: ``@page("/check", "GET", summary=...)``."""

    def pages(path: str, *methods: str, summary: str) -> Callable[[Any], Any]:
        return _register(router, path, methods, summary)

    return pages


def here(request: Request, path: str) -> str:
    """``path`` under the self-service prefix, in easy read when this page is."""
    return PREFIX + (EASY if is_easy(request) else "") + path


def _register(
    router: APIRouter, path: str, methods: tuple[str, ...], summary: str
) -> Callable[[Any], Any]:
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


pages = pages_on(router)


@pages("", "GET", summary="Carers support: the start page")
async def start(request: Request) -> Response:
    w = selfservice_web(request)
    return w.render(request, "selfservice/start.html", {"easy": is_easy(request)})
