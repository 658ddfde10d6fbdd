"""Public pages and the response endpoint (contract 5): anyone, no sign-in.

``POST /consultations/{slug}/responses`` takes JSON (partners, tests) or the HTML form (a
browser, which also needs the CSRF token): 201 with the response id, 422 naming each field
at fault, 409 once the consultation has closed, 429 when a client sends too many.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.consultation.domain.definition import Consultation
from services.consultation.domain.model import ConsultationClosed, ConsultationNotOpen
from services.consultation.domain.validation import InvalidResponse
from services.consultation.entrypoints.deps import (
    Caller,
    Found,
    Pages,
    Service,
    ServiceClock,
    UnitOfWork,
)
from services.consultation.entrypoints.forms import field_errors, raw_from_form, values_from_raw
from services.consultation.service_layer import handlers
from shared.clock import Clock
from shared.web import PageRenderer
from shared.web.csrf import CsrfError, verify_csrf
from shared.web.forms import FieldError
from shared.web.negotiation import wants_html

router = APIRouter(tags=["consultation"])
MODES = {"online": "online", "easy_read": "easy_read", "paper": "paper"}


def form_page(
    request: Request,
    pages: PageRenderer,
    clock: Clock,
    consultation: Consultation,
    *,
    mode: str = "online",
    values: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    code: str = "",
    status_code: int = 200,
    template: str = "consultation.html",
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    now = clock.now()
    context = {
        "consultation": consultation,
        "mode": mode,
        "values": values or {},
        "errors": errors or [],
        "code": code,
        "is_open": consultation.is_open(now),
        "has_closed": consultation.has_closed(now),
        "reply": None,
        **(extra or {}),
    }
    return pages.render(request, template, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse, summary="The consultations, open and closed")
async def index(request: Request, service: Service, clock: ServiceClock) -> Response:
    now = clock.now()
    listed = sorted(service.consultations.values(), key=lambda c: c.closes, reverse=True)
    open_now = [c for c in listed if c.is_open(now)]
    closed = [c for c in listed if c.has_closed(now)]
    return service.pages.render(request, "index.html", {"open_now": open_now, "closed": closed})


@router.get(
    "/consultations/{slug}", response_class=HTMLResponse, summary="A consultation and its form"
)
async def consultation_page(
    request: Request, consultation: Found, uow: UnitOfWork, clock: ServiceClock, pages: Pages
) -> Response:
    reply = await handlers.council_response(uow, consultation)
    return form_page(request, pages, clock, consultation, extra={"reply": reply})


@router.get(
    "/consultations/{slug}/easy-read", response_class=HTMLResponse, summary="Easy read form"
)
async def easy_read(
    request: Request, consultation: Found, clock: ServiceClock, pages: Pages
) -> Response:
    return form_page(
        request, pages, clock, consultation, mode="easy_read", template="easy_read.html"
    )


@router.get(
    "/consultations/{slug}/paper", response_class=HTMLResponse, summary="Printable paper version"
)
async def paper(request: Request, consultation: Found, pages: Pages) -> Response:
    return pages.render(request, "paper.html", {"consultation": consultation})


@router.get(
    "/consultations/{slug}/return", response_class=HTMLResponse, summary="Continue a saved response"
)
async def return_page(
    request: Request,
    consultation: Found,
    uow: UnitOfWork,
    clock: ServiceClock,
    pages: Pages,
    code: str | None = None,
) -> Response:
    if code is None:
        return pages.render(request, "return.html", {"consultation": consultation, "errors": []})
    draft = await handlers.load_draft(uow, consultation, code)
    if draft is None:
        errors = [
            FieldError("code", "Enter the code you were given when you saved your answers", "code")
        ]
        context = {"consultation": consultation, "errors": errors, "value": code}
        return pages.render(request, "return.html", context, status_code=422)
    channel, raw = draft
    mode = "easy_read" if channel == "easy_read" else "online"
    template = "easy_read.html" if mode == "easy_read" else "consultation.html"
    values = values_from_raw(consultation, raw)
    return form_page(
        request,
        pages,
        clock,
        consultation,
        mode=mode,
        values=values,
        code=handlers.normal_code(code),
        template=template,
    )


@router.post(
    "/consultations/{slug}/responses",
    status_code=status.HTTP_201_CREATED,
    summary="Submit a response: 201 with its id; 422 naming the field; 409 after close",
)
async def submit(
    request: Request,
    consultation: Found,
    principal: Caller,
    service: Service,
    uow: UnitOfWork,
    clock: ServiceClock,
) -> Response:
    pages = service.pages
    html = wants_html(request)
    if principal is None:
        wait = service.limiter.take(service.client(request))
        if wait:
            headers = {"Retry-After": str(max(1, round(wait)))}
            message = "You have sent too many responses in a short time. Try again in a minute."
            if html:
                return pages.render(
                    request,
                    "message.html",
                    {"title": "Too many responses", "message": message},
                    status_code=429,
                    headers=headers,
                )
            return JSONResponse({"detail": message}, status_code=429, headers=headers)
    form: Any = None
    if html:
        form = await request.form()
        try:
            verify_csrf(request, str(form.get("csrf_token") or ""), pages.secret)
        except CsrfError as error:
            return pages.render(
                request,
                "message.html",
                {"title": "Your form has expired", "message": str(error)},
                status_code=403,
            )
        raw = raw_from_form(consultation, form)
    else:
        try:
            raw = await request.json()
        except ValueError:
            return JSONResponse(
                {"detail": [{"loc": ["body"], "msg": "not valid JSON", "type": "json_invalid"}]},
                status_code=422,
            )
        if not isinstance(raw, dict):
            return JSONResponse(
                {"detail": [{"loc": ["body"], "msg": "expected a JSON object", "type": "invalid"}]},
                status_code=422,
            )
    mode = str(raw.get("channel") or "online")
    template = (
        "easy_read.html"
        if mode == "easy_read"
        else ("paper_entry.html" if mode == "paper" else "consultation.html")
    )
    code = str(form.get("code") or "") if form is not None else ""
    if form is not None and form.get("action") == "save":
        return await _save(request, pages, uow, clock, consultation, raw, mode, code)
    try:
        response = await handlers.submit_response(
            uow,
            consultation,
            raw,
            at=clock.now(),
            staff=principal.subject if principal else None,
            draft_code=handlers.normal_code(code) if code else None,
        )
    except InvalidResponse as invalid:
        errors = field_errors(consultation, invalid.problems)
        if html:
            values = values_from_raw(consultation, raw)
            return form_page(
                request,
                pages,
                clock,
                consultation,
                mode=MODES.get(mode, "online"),
                values=values,
                errors=errors,
                code=code,
                status_code=422,
                template=template,
            )
        return JSONResponse({"detail": [e.as_detail() for e in errors]}, status_code=422)
    except (ConsultationClosed, ConsultationNotOpen) as closed:
        if html:
            return form_page(
                request, pages, clock, consultation, status_code=409, template="consultation.html"
            )
        return JSONResponse(
            {"detail": str(closed), "closed_on": consultation.closed_on()}, status_code=409
        )
    if html:
        context = {
            "consultation": consultation,
            "response_id": response.response_id,
            "involved": response.interest is not None,
            "paper": mode == "paper",
        }
        return pages.render(request, "confirmation.html", context, status_code=201)
    return JSONResponse({"response_id": response.response_id}, status_code=201)


async def _save(
    request: Request,
    pages: PageRenderer,
    uow: UnitOfWork,
    clock: Clock,
    consultation: Consultation,
    raw: dict[str, Any],
    mode: str,
    code: str,
) -> Response:
    """Save and return: keep the answers so far under a code (not validated: half done is fine)."""
    if not consultation.is_open(clock.now()):
        return form_page(request, pages, clock, consultation, status_code=409)
    code = await handlers.save_draft(
        uow, consultation, raw, channel=mode, at=clock.now(), code=code or None
    )
    return pages.render(
        request, "saved.html", {"consultation": consultation, "code": code, "mode": mode}
    )


@router.get(
    "/consultations/{slug}/we-asked-you-said-we-did",
    response_class=HTMLResponse,
    summary="The council's reply",
)
async def we_did(request: Request, consultation: Found, uow: UnitOfWork, pages: Pages) -> Response:
    reply = await handlers.council_response(uow, consultation)
    if reply is None:
        context = {
            "title": "Not published yet",
            "message": "The council has not yet published what it did in response to this "
            "consultation.",
        }
        return pages.render(request, "message.html", context, status_code=404)
    return pages.render(request, "we_did.html", {"consultation": consultation, "reply": reply})


@router.get("/consultations/{slug}/start", include_in_schema=False)
async def start(slug: str) -> Response:
    return RedirectResponse(f"/consultations/{slug}#form", status_code=status.HTTP_303_SEE_OTHER)
