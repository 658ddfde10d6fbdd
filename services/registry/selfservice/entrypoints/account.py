"""Public self-service pages, part two: "Check your support".

Sign in with a reference (or NHS number) and date of birth, then a one-time code sent by the
carer's preferred channel; see who identified them, what they agreed to and where each
referral stands; change consent and contact preferences; ask for their data to be erased.
The answer to "send me a code" is the same page whether or not the details match anyone.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.registry.entrypoints.deps import Clock, UnitOfWork
from services.registry.selfservice.domain.plain_words import (
    consent_view,
    describe_referral,
    is_under_16,
    sources_view,
)
from services.registry.selfservice.domain.signin import Verdict
from services.registry.selfservice.entrypoints import forms
from services.registry.selfservice.entrypoints.pages import (
    here,
    is_easy,
    pages_on,
    posted_form,
    problem,
)
from services.registry.selfservice.entrypoints.web import (
    CHALLENGE_COOKIE,
    SelfServiceWeb,
    selfservice_web,
)
from services.registry.selfservice.service_layer import use_cases as cases
from shared.web.forms import FieldError

router = APIRouter(tags=["self-service"])
pages = pages_on(router)
_here = here


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@pages("/check", "GET", summary="Check your support: sign in")
async def check_page(request: Request) -> Response:
    w = selfservice_web(request)
    context = {"easy": is_easy(request), "typed": "", "one": lambda _name: ""}
    return w.render(request, "selfservice/check.html", context)


@pages("/check", "POST", summary="Check your support: send a one-time code")
async def check_submit(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w, w.signin_limiter)
    if isinstance(form, Response):
        return form
    typed = str(form.get("identifier") or "").strip()
    dob = forms.date_of_birth(form)
    errors = []
    if not typed:
        errors.append(FieldError("identifier", "Enter your reference or NHS number", "identifier"))
    if dob is None:
        errors.append(
            FieldError("date_of_birth", "Enter your date of birth, like 27 3 1968", "dob-day")
        )
    if errors:
        context = {
            "easy": is_easy(request),
            "errors": errors,
            "typed": typed,
            "one": lambda name: str(form.get(name) or ""),
        }
        return w.render(request, "selfservice/check.html", context, status_code=422)
    async with uow:
        challenge_id = await cases.request_code(uow, w.service, typed, dob, clock.now())
    response = _see_other(_here(request, "/check/code"))
    w.set_challenge(response, challenge_id)
    return response


@pages("/check/code", "GET", summary="Check your support: enter the code")
async def code_page(request: Request) -> Response:
    w = selfservice_web(request)
    if not request.cookies.get(CHALLENGE_COOKIE):
        return _see_other(_here(request, "/check"))
    context = {"easy": is_easy(request), "minutes": w.settings.selfservice_code_minutes}
    return w.render(request, "selfservice/code.html", context)


@pages("/check/code", "POST", summary="Check your support: sign in with the code")
async def code_submit(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w, w.signin_limiter)
    if isinstance(form, Response):
        return form
    challenge_id = request.cookies.get(CHALLENGE_COOKIE)
    if not challenge_id:
        return _see_other(_here(request, "/check"))
    async with uow:
        outcome = await cases.verify_code(
            uow, w.service, challenge_id, str(form.get("code") or ""), clock.now()
        )
    easy = is_easy(request)
    if outcome.verdict == Verdict.SIGNED_IN and outcome.carer_id:
        response = _see_other(_here(request, "/your-support"))
        w.start_session(response, outcome.carer_id)
        return response
    if outcome.verdict == Verdict.WRONG:
        left = outcome.tries_left
        message = (
            f"The code is not right. Check it and try again. You can try {left} more "
            f"time{'s' if left != 1 else ''}."
        )
        context = {
            "easy": easy,
            "minutes": w.settings.selfservice_code_minutes,
            "errors": [FieldError("code", message, "code")],
        }
        return w.render(request, "selfservice/code.html", context, status_code=422)
    if outcome.verdict == Verdict.LOCKED:
        minutes = w.settings.selfservice_lock_minutes
        return problem(
            request,
            w,
            "You have typed a wrong code too many times",
            f"For your security, you cannot sign in with these details for {minutes} minutes. "
            "Try again later, or call us.",
            423,
        )
    return problem(
        request,
        w,
        "This code cannot be used",
        "The code has expired or has already been used. Codes work once, for "
        f"{w.settings.selfservice_code_minutes} minutes. Ask for a new code.",
        410,
    )


async def _signed_in(
    request: Request, w: SelfServiceWeb, uow: UnitOfWork, audited: str | None = None
) -> tuple[Any, list[Any]] | None:
    carer_id = w.session_carer(request)
    if carer_id is None:
        return None
    async with uow:
        return await cases.carer_and_referrals(uow, carer_id, audited=audited)


def _signed_out(request: Request, w: SelfServiceWeb) -> Response:
    response = _see_other(_here(request, "/check"))
    w.end_session(response)
    return response


@pages("/your-support", "GET", summary="Your support: who has your details, your referrals")
async def support_page(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    found = await _signed_in(request, w, uow, audited="selfservice_read")
    if found is None:
        return _signed_out(request, w)
    carer, referrals = found
    easy = is_easy(request) or bool((carer.preferences or {}).get("easy_read"))
    document = carer.to_document()
    async with uow:  # what was said about them, waiting for them to check
        claims_waiting = await cases.claims_waiting(uow, carer.carer_id)
    context = {
        "easy": easy,
        "carer": carer,
        "under_16": is_under_16(carer.date_of_birth, clock.now()),
        "sources": sources_view(document["sources"], easy=easy),
        "consent": consent_view(carer.consent, easy=easy),
        "share": carer.consent.get("share_with") or [],
        "contact": carer.consent.get("contact"),
        "referrals": [describe_referral(r, easy=easy) for r in referrals],
        "channels": forms.CHANNELS,
        "preferred": ((carer.preferences or {}).get("contact_channels") or [""])[0],
        "changed": request.query_params.get("changed"),
        "claims_waiting": claims_waiting,
    }
    return w.render(request, "selfservice/support.html", context)


@pages("/your-support/consent", "POST", summary="Your support: change what you agree to")
async def consent_submit(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w)
    if isinstance(form, Response):
        return form
    found = await _signed_in(request, w, uow)
    if found is None:
        return _signed_out(request, w)
    share, contact = forms.consent_from_form(form)
    async with uow:
        await cases.change_consent(uow, found[0], share, bool(contact), clock.now())
    return _see_other(_here(request, "/your-support?changed=consent"))


@pages("/your-support/contact", "POST", summary="Your support: change how we contact you")
async def contact_submit(request: Request, uow: UnitOfWork) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w)
    if isinstance(form, Response):
        return form
    found = await _signed_in(request, w, uow)
    if found is None:
        return _signed_out(request, w)
    carer = found[0]
    channel = str(form.get("channel") or "")
    email = str(form.get("email") or "").strip() or None
    mobile = str(form.get("mobile") or "").strip() or None
    channels = [channel] if channel in {c for c, _, _ in forms.CHANNELS} else []
    channels += [c for c, have in (("email", email), ("sms", mobile)) if have and c not in channels]
    preferences = {
        "contact_channels": channels,
        "easy_read": form.get("easy-read") == "yes",
        "language": (carer.preferences or {}).get("language") or "en",
    }
    errors = forms.contact_errors(email, mobile)
    if errors:
        return problem(
            request, w, "Check your contact details", " ".join(e.message + "." for e in errors), 422
        )
    async with uow:
        await cases.change_contact(uow, carer, preferences, email, mobile)
    return _see_other(_here(request, "/your-support?changed=contact"))


@pages("/your-support/erase", "GET", summary="Your support: ask us to erase your data")
async def erase_page(request: Request, uow: UnitOfWork) -> Response:
    w = selfservice_web(request)
    if await _signed_in(request, w, uow) is None:
        return _signed_out(request, w)
    return w.render(request, "selfservice/erase.html", {"easy": is_easy(request)})


@pages("/your-support/erase", "POST", summary="Your support: confirm erasure")
async def erase_submit(request: Request, uow: UnitOfWork) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w)
    if isinstance(form, Response):
        return form
    found = await _signed_in(request, w, uow)
    if found is None:
        return _signed_out(request, w)
    easy = is_easy(request)
    if form.get("confirm") != "yes":
        errors = [
            FieldError("confirm", "Select yes if you want us to erase your details", "confirm")
        ]
        return w.render(
            request, "selfservice/erase.html", {"easy": easy, "errors": errors}, status_code=422
        )
    async with uow:
        await cases.request_erasure(uow, found[0])
    await w.revoke_session(request)
    response = w.render(request, "selfservice/erased.html", {"easy": easy})
    w.end_session(response)
    return response


@pages("/sign-out", "POST", summary="Check your support: sign out")
async def sign_out(request: Request) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w)
    if isinstance(form, Response):
        return form
    await w.revoke_session(request)  # server-side: a copy of the cookie stops working too
    response = w.render(request, "selfservice/signed_out.html", {"easy": is_easy(request)})
    w.end_session(response)
    return response
