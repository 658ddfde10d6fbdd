"""Theme runs and officers' sign-off: JSON for tools, a review page for people.

Posts from the review page are forms (cookie sign-in, CSRF token) and redirect back to it;
the same paths take JSON with a bearer token.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.consultation.domain.themes.learning import InvalidCorrection
from services.consultation.domain.themes.review import IllegalDecision
from services.consultation.entrypoints.deps import (
    CouncilPage,
    Found,
    Pages,
    Service,
    ServiceClock,
    UnitOfWork,
)
from services.consultation.service_layer import theming, theming_review
from shared.web.csrf import CsrfError, verify_csrf
from shared.web.negotiation import wants_html

router = APIRouter(tags=["consultation themes"])


async def _body(request: Request, secret: str) -> tuple[dict[str, Any], bool]:
    """The request's fields, and whether it came from the review page (a form)."""
    if wants_html(request):
        form = await request.form()
        try:
            verify_csrf(request, str(form.get("csrf_token") or ""), secret)
        except CsrfError as error:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
        return {k: v for k, v in form.items() if isinstance(v, str) and v != ""}, True
    try:
        body = await request.json() if await request.body() else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "expected a JSON object")
    return body, False


def _unprocessable(error: ValueError) -> HTTPException:
    """A 422 naming the body field a ``"field: message"`` error from the themes domain names."""
    field, _, message = str(error).partition(": ")
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"loc": ["body", field], "msg": message, "type": "invalid"}],
    )


@router.get(
    "/consultations/{slug}/themes", summary="Proposed themes with counts, quotes and reasons"
)
async def list_themes(_: CouncilPage, consultation: Found, uow: UnitOfWork) -> list[dict[str, Any]]:
    async with uow:
        return await theming.list_themes(uow, consultation)


@router.post("/consultations/{slug}/themes/run", summary="Theme every free-text answer now")
async def run(
    request: Request,
    principal: CouncilPage,
    consultation: Found,
    service: Service,
    uow: UnitOfWork,
) -> Response:
    _, from_page = await _body(request, service.pages.secret)
    classifier = await asyncio.to_thread(service.classifier)  # trained once, in a few seconds
    async with uow:
        summary = await theming.run_themes(uow, consultation, classifier, service.themes())
    if from_page:
        return RedirectResponse(
            f"/consultations/{consultation.slug}/themes/review",
            status_code=status.HTTP_303_SEE_OTHER,
        )
    return JSONResponse(summary)


@router.post(
    "/consultations/{slug}/themes/{key}/decision",
    summary="Confirm, rename, merge or reject a theme",
)
async def decision(
    request: Request,
    principal: CouncilPage,
    consultation: Found,
    key: str,
    pages: Pages,
    uow: UnitOfWork,
) -> Response:
    body, from_page = await _body(request, pages.secret)
    try:
        async with uow:
            view = await theming.decide_theme(
                uow,
                consultation,
                key,
                str(body.get("action", "")),
                by=principal.subject,
                label=body.get("label"),
                into=body.get("into"),
            )
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no theme {key!r}") from None
    except IllegalDecision as illegal:
        raise _unprocessable(illegal) from None
    if from_page:
        return RedirectResponse(
            f"/consultations/{consultation.slug}/themes/review#theme-{key}",
            status_code=status.HTTP_303_SEE_OTHER,
        )
    return JSONResponse(view)


@router.get(
    "/consultations/{slug}/themes/queue",
    summary="Answers with themes and confidence; those needing a person first",
)
async def queue(
    _: CouncilPage, consultation: Found, service: Service, uow: UnitOfWork
) -> list[dict[str, Any]]:
    classifier = await asyncio.to_thread(service.classifier)
    async with uow:
        return await theming.review_queue(uow, consultation, classifier)


@router.post(
    "/consultations/{slug}/themes/answers/{response_id}/{question_id}/correction",
    summary="Confirm or correct one answer's themes (a training example for retraining)",
    status_code=status.HTTP_201_CREATED,
    response_model=dict[str, Any],
)
async def correct(
    request: Request,
    principal: CouncilPage,
    consultation: Found,
    response_id: str,
    question_id: str,
    pages: Pages,
    clock: ServiceClock,
    uow: UnitOfWork,
) -> Response:
    body, from_page = await _body(request, pages.secret)
    themes = body.get("themes")
    if from_page:  # one checkbox per theme: none ticked says "no known theme"
        form = await request.form()
        themes = [t for t in form.getlist("themes") if isinstance(t, str)]
    try:
        async with uow:
            record = await theming.correct_answer(
                uow,
                consultation,
                response_id,
                question_id,
                themes,
                by=principal.subject,
                now=clock.now(),
            )
    except KeyError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no free-text answer {response_id}/{question_id}"
        ) from None
    except InvalidCorrection as invalid:
        raise _unprocessable(invalid) from None
    if from_page:
        back = _page_number(str(body.get("page", "1")))
        return RedirectResponse(
            f"/consultations/{consultation.slug}/themes/review"
            f"?page={back}&saved={response_id}/{question_id}#queue",
            status_code=status.HTTP_303_SEE_OTHER,
        )
    return JSONResponse(record, status_code=status.HTTP_201_CREATED)


def _page_number(raw: str) -> int:
    """The queue page asked for; a 422 naming ``page`` for anything but a whole number >= 1.

    Read by hand, not as a declared query parameter, because the page is for people, not part
    of the API.
    """
    if not raw.isdigit() or int(raw) < 1:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["query", "page"], "msg": "expected a page number from 1", "type": "invalid"}],
        )
    return int(raw)


@router.get(
    "/consultations/{slug}/themes/review",
    response_class=HTMLResponse,
    summary="Theme sign-off page",
)
async def review(
    request: Request,
    _: CouncilPage,
    consultation: Found,
    service: Service,
    uow: UnitOfWork,
) -> Response:
    number = _page_number(request.query_params.get("page", "1"))
    classifier = await asyncio.to_thread(service.classifier)
    async with uow:
        themes = await theming.list_themes(uow, consultation)
        queue = await theming_review.review_queue_page(uow, consultation, classifier, number)
    live = [t for t in themes if t["status"] in ("proposed", "confirmed")]
    base = f"/consultations/{consultation.slug}/themes/review"
    return service.pages.render(
        request,
        "themes_review.html",
        {
            "consultation": consultation,
            "themes": themes,
            "live": live,
            "queue": queue,
            "known": service.themes(),
            "questions": {q.id: q.text for q in consultation.free_text},
            "saved": request.query_params.get("saved", ""),
            "previous_href": f"{base}?page={queue.page - 1}#queue" if queue.page > 1 else "",
            "next_href": f"{base}?page={queue.page + 1}#queue" if queue.page < queue.pages else "",
        },
    )
