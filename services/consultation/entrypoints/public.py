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
from services.consultation.entrypoints.context import Web, wants_html, web
from services.consultation.entrypoints.forms import field_errors, raw_from_form, values_from_raw
from services.consultation.service_layer import handlers
from shared.web.csrf import CsrfError, verify_csrf
from shared.web.forms import FieldError
from shared.web.staff import staff_caller

router = APIRouter(tags=["consultation"])
MODES = {"online": "online", "easy_read": "easy_read", "paper": "paper"}


def form_page(
    request: Request,
    w: Web,
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
    now = w.clock()
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
    return w.pages.render(request, template, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse, summary="The consultations, open and closed")
async def index(request: Request) -> Response:
    w = web(request)
    now = w.clock()
    listed = sorted(w.consultations.values(), key=lambda c: c.closes, reverse=True)
    open_now = [c for c in listed if c.is_open(now)]
    closed = [c for c in listed if c.has_closed(now)]
    return w.pages.render(request, "index.html", {"open_now": open_now, "closed": closed})


@router.get(
    "/consultations/{slug}", response_class=HTMLResponse, summary="A consultation and its form"
)
async def consultation_page(request: Request, slug: str) -> Response:
    w = web(request)
    consultation = w.consultation(slug)
    async with w.unit_of_work() as uow:
        reply = await uow.consultations.council_response(slug)
    return form_page(request, w, consultation, extra={"reply": reply})


@router.get(
    "/consultations/{slug}/easy-read", response_class=HTMLResponse, summary="Easy read form"
)
async def easy_read(request: Request, slug: str) -> Response:
    w = web(request)
    return form_page(request, w, w.consultation(slug), mode="easy_read", template="easy_read.html")


@router.get(
    "/consultations/{slug}/paper", response_class=HTMLResponse, summary="Printable paper version"
)
async def paper(request: Request, slug: str) -> Response:
    w = web(request)
    return w.pages.render(request, "paper.html", {"consultation": w.consultation(slug)})


@router.get(
    "/consultations/{slug}/return", response_class=HTMLResponse, summary="Continue a saved response"
)
async def return_page(request: Request, slug: str, code: str | None = None) -> Response:
    w = web(request)
    consultation = w.consultation(slug)
    if code is None:
        return w.pages.render(request, "return.html", {"consultation": consultation, "errors": []})
    async with w.unit_of_work() as uow:
        draft = await handlers.load_draft(uow, consultation, code)
    if draft is None:
        errors = [
            FieldError("code", "Enter the code you were given when you saved your answers", "code")
        ]
        context = {"consultation": consultation, "errors": errors, "value": code}
        return w.pages.render(request, "return.html", context, status_code=422)
    channel, raw = draft
    mode = "easy_read" if channel == "easy_read" else "online"
    template = "easy_read.html" if mode == "easy_read" else "consultation.html"
    values = values_from_raw(consultation, raw)
    return form_page(
        request,
        w,
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
async def submit(request: Request, slug: str) -> Response:
    w = web(request)
    consultation = w.consultation(slug)
    principal = await staff_caller(request)  # a cookie-signed post needs its CSRF token
    html = wants_html(request)
    if principal is None or principal.role not in ("council", "admin"):
        principal = None
        wait = w.limiter.take(w.client(request))
        if wait:
            headers = {"Retry-After": str(max(1, round(wait)))}
            message = "You have sent too many responses in a short time. Try again in a minute."
            if html:
                return w.pages.render(
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
            verify_csrf(request, str(form.get("csrf_token") or ""), w.pages.secret)
        except CsrfError as error:
            return w.pages.render(
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
        return await _save(request, w, consultation, raw, mode, code)
    try:
        async with w.unit_of_work() as uow:
            response = await handlers.submit_response(
                uow,
                consultation,
                raw,
                at=w.clock(),
                staff=principal.subject if principal else None,
                draft_code=handlers.normal_code(code) if code else None,
            )
    except InvalidResponse as invalid:
        errors = field_errors(consultation, invalid.problems)
        if html:
            values = values_from_raw(consultation, raw)
            return form_page(
                request,
                w,
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
                request, w, consultation, status_code=409, template="consultation.html"
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
        return w.pages.render(request, "confirmation.html", context, status_code=201)
    return JSONResponse({"response_id": response.response_id}, status_code=201)


async def _save(
    request: Request, w: Web, consultation: Consultation, raw: dict[str, Any], mode: str, code: str
) -> Response:
    """Save and return: keep the answers so far under a code (not validated: half done is fine)."""
    if not consultation.is_open(w.clock()):
        return form_page(request, w, consultation, status_code=409)
    async with w.unit_of_work() as uow:
        code = await handlers.save_draft(
            uow, consultation, raw, channel=mode, at=w.clock(), code=code or None
        )
    return w.pages.render(
        request, "saved.html", {"consultation": consultation, "code": code, "mode": mode}
    )


@router.get(
    "/consultations/{slug}/we-asked-you-said-we-did",
    response_class=HTMLResponse,
    summary="The council's reply",
)
async def we_did(request: Request, slug: str) -> Response:
    w = web(request)
    consultation = w.consultation(slug)
    async with w.unit_of_work() as uow:
        reply = await uow.consultations.council_response(slug)
    if reply is None:
        context = {
            "title": "Not published yet",
            "message": "The council has not yet published what it did in response to this "
            "consultation.",
        }
        return w.pages.render(request, "message.html", context, status_code=404)
    return w.pages.render(request, "we_did.html", {"consultation": consultation, "reply": reply})


@router.get("/consultations/{slug}/start", include_in_schema=False)
async def start(slug: str) -> Response:
    return RedirectResponse(f"/consultations/{slug}#form", status_code=status.HTTP_303_SEE_OTHER)
