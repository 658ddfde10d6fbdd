"""Public self-service pages: "Tell us you are a carer" as GOV.UK question pages (issue 17).

``/self-service/tell-us`` asks the first question; each page asks one thing and posts to
itself; "Check your answers" lists every answer with a Change link; Send queues the
``carer.identified`` and the confirmation page (a GOV.UK panel) shows the reference.
The answers so far live server-side in a draft named by a random cookie, so they survive
the browser's Back button and the Back link; a Change link returns to "Check your answers"
once the answer (and any page it adds) is given. No JavaScript; each page in easy read too.
The single-page form's ``POST /self-service/tell-us`` still works (``tell_us.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.registry.entrypoints.deps import Clock, UnitOfWork
from services.registry.selfservice.domain import questions as flow
from services.registry.selfservice.domain.plain_words import is_under_16, long_date
from services.registry.selfservice.entrypoints import forms
from services.registry.selfservice.entrypoints.pages import here, is_easy, pages_on, posted_form
from services.registry.selfservice.entrypoints.web import SelfServiceWeb, selfservice_web
from services.registry.selfservice.service_layer import use_cases as cases
from shared.web.forms import FieldError

router = APIRouter(tags=["self-service"])
pages = pages_on(router)
DONE = "_done"  # the pages answered, kept with the answers


def _see_other(url: str, w: SelfServiceWeb | None = None, draft_id: str | None = None) -> Response:
    response = RedirectResponse(url, status_code=303)
    if w is not None and draft_id:
        w.keep_draft(response, draft_id, cases.DRAFT_MINUTES)
    return response


def _page_url(request: Request, slug: str | None) -> str:
    return here(request, f"/tell-us/{slug}" if slug else "/tell-us/check")


async def _draft(
    request: Request, w: SelfServiceWeb, uow: UnitOfWork, clock: Clock
) -> dict[str, Any]:
    async with uow:
        return await cases.draft_answers(uow, w.draft_id(request), clock.now())


async def _answers(
    request: Request, w: SelfServiceWeb, uow: UnitOfWork, clock: Clock
) -> dict[str, Any]:
    answers = await _draft(request, w, uow, clock)
    return {} if "sent" in answers else answers  # sent: telling us again starts afresh


def _context(
    request: Request, q: flow.Question, answers: dict[str, Any], errors: list[FieldError]
) -> dict[str, Any]:
    change = request.query_params.get("change") == "1"
    previous = flow.previous_page(answers, q.slug)
    back = _page_url(request, None) if change else here(request, "")
    if not change and previous:
        back = _page_url(request, previous)
    return {
        "easy": is_easy(request),
        "errors": errors,
        "q": q,
        "one": lambda name: flow.one(answers, name),
        "many": lambda name: [str(v) for v in answers.get(name) or [] if isinstance(v, str)],
        "relationships": forms.RELATIONSHIPS,
        "needs": forms.NEEDS,
        "support": forms.SUPPORT,
        "channels": forms.CHANNELS,
        "action": _page_url(request, q.slug) + ("?change=1" if change else ""),
        "back": back,
    }


@pages("/tell-us", "GET", summary="Tell us you are a carer: the first question")
async def first_question(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    return await question_page(request, flow.FILLING_FOR.slug, uow, clock)


@pages("/tell-us/check", "GET", summary="Tell us you are a carer: check your answers")
async def check_answers(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    answers = await _answers(request, w, uow, clock)
    missing = flow.first_unanswered(answers, answers.get(DONE) or [])
    if missing:
        return _see_other(_page_url(request, missing))
    return _render_check(request, w, answers, [])


def _render_check(
    request: Request, w: SelfServiceWeb, answers: dict[str, Any], errors: list[FieldError]
) -> Response:
    easy = is_easy(request)
    last = flow.questions(answers)[-1].slug
    context = {
        "easy": easy,
        "errors": errors,
        "sections": summary(request, answers, easy),
        "action": _page_url(request, None),
        "back": _page_url(request, last),
    }
    return w.render(
        request, "selfservice/tell_us/check.html", context, status_code=422 if errors else 200
    )


@pages("/tell-us/check", "POST", summary="Tell us you are a carer: send, and get a reference")
async def send(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w, w.form_limiter)
    if isinstance(form, Response):
        return form
    answers = await _answers(request, w, uow, clock)
    draft_id = w.draft_id(request)
    missing = flow.first_unanswered(answers, answers.get(DONE) or [])
    if missing or draft_id is None:
        return _see_other(_page_url(request, missing or flow.FILLING_FOR.slug))
    easy = is_easy(request)
    sendable = flow.sendable(answers)
    body, errors = forms.identification_from_form(sendable, easy=easy)
    if errors:  # each page was checked; this is the whole form's last word
        slugs = {name: q.slug for q in flow.questions(answers) for name in q.fields}
        linked = [
            FieldError(e.field, e.message, f"change-{slugs.get(e.control_id, 'filling-for')}")
            for e in errors
        ]
        return _render_check(request, w, answers, linked)
    now = clock.now()
    confirmation = {
        "under_16": is_under_16(forms.date_of_birth(sendable), now),
        "shared": body["consent"]["share_with"],
        "reachable": any(c in ("email", "sms") for c in body["preferences"]["contact_channels"]),
    }
    async with uow:
        await cases.send_answers(uow, draft_id, body, confirmation, now)
    return _see_other(here(request, "/tell-us/confirmation"), w, draft_id)


@pages("/tell-us/confirmation", "GET", summary="Tell us you are a carer: your reference")
async def confirmation(request: Request, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    sent = (await _draft(request, w, uow, clock)).get("sent")
    if not sent:
        return _see_other(here(request, "/tell-us"))
    context = {"easy": is_easy(request), **sent}
    return w.render(request, "selfservice/told.html", context)


@pages("/tell-us/{slug}", "GET", summary="Tell us you are a carer: one question")
async def question_page(request: Request, slug: str, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    answers = await _answers(request, w, uow, clock)
    q = flow.question(answers, slug)
    if q is None:  # not a page, or not one these answers have (person 3 without two yeses)
        done = answers.get(DONE) or []
        return _see_other(_page_url(request, flow.first_unanswered(answers, done)))
    template = "selfservice/tell_us/question.html"
    return w.render(request, template, _context(request, q, answers, []))


@pages("/tell-us/{slug}", "POST", summary="Tell us you are a carer: answer one question")
async def answer(request: Request, slug: str, uow: UnitOfWork, clock: Clock) -> Response:
    w = selfservice_web(request)
    form = await posted_form(request, w)
    if isinstance(form, Response):
        return form
    answers = await _answers(request, w, uow, clock)
    q = flow.question(answers, slug)
    if q is None:
        return _see_other(_page_url(request, flow.first_unanswered(answers, [])))
    answers = {**answers, **forms.answers_from_form(form, q.fields)}
    errors = forms.question_errors(answers, q.fields, easy=is_easy(request))
    if errors:
        context = _context(request, q, answers, errors)
        template = "selfservice/tell_us/question.html"
        return w.render(request, template, context, status_code=422)
    done = [*(s for s in answers.get(DONE) or [] if s != slug), slug]
    answers[DONE] = done
    draft_id = w.draft_id(request) or uuid.uuid4().hex
    async with uow:
        await cases.save_answers(uow, draft_id, answers, clock.now())
    if request.query_params.get("change") == "1":  # back to the check, unless a page was added
        following = flow.first_unanswered(answers, done)
    else:
        following = flow.next_page(answers, slug)
    return _see_other(_page_url(request, following), w, draft_id)


# -- "Check your answers": each answer in words, with the page that asks it ---------------------

SECTIONS = (
    ("About you", ("filling-for", "agreed", "name", "date-of-birth", "postcode", "nhs-number")),
    ("Who you care for", ("cared-for-", "another-")),
    ("What would help", ("support", "your-words")),
    ("Sharing and contact", ("share", "contact", "contact-by", "contact-details")),
)
YES_NO = {"yes": "Yes", "no": "No"}


def _labels(options: list[tuple[str, str, str]], easy: bool) -> dict[str, str]:
    return {value: easy_label if easy else label for value, label, easy_label in options}


def _lines(q: flow.Question, answers: dict[str, Any], easy: bool) -> list[str]:
    """An answer as the carer would say it back: labels, not codes."""
    one = lambda name: flow.one(answers, name)  # noqa: E731 - a short local reader
    many = lambda name: [str(v) for v in answers.get(name) or []]  # noqa: E731
    slug = q.slug
    if slug == "filling-for":
        return [
            {"me": "I am the carer", "someone-else": "Someone filling it in for a carer"}.get(
                one("filling-for"), ""
            )
        ]
    if slug == "name":
        return [f"{one('given-name')} {one('family-name')}".strip()]
    if slug == "date-of-birth":
        born = forms.date_of_birth(answers)
        return [long_date(born)] if born else []
    if slug.startswith("cared-for-"):
        n = slug.rsplit("-", 1)[1]
        needs = _labels(forms.NEEDS, easy)
        lives = YES_NO.get(one(f"cared-{n}-lives"))
        return [
            _labels(forms.RELATIONSHIPS, easy).get(one(f"cared-{n}-relationship"), ""),
            ", ".join(needs.get(v, v) for v in many(f"cared-{n}-needs")),
            *([f"Lives with you: {lives}"] if lives else []),
        ]
    if slug == "support":
        return [_labels(forms.SUPPORT, easy).get(v, v) for v in many("support")]
    if slug == "share":
        names = {"gp": "Your GP practice", "council": "The council", "vasl": "VASL"}
        return [names.get(v, v) for v in many("share")] or ["Nobody"]
    if slug == "contact-by":
        channel = _labels(forms.CHANNELS, easy).get(one("channel"), "")
        return [channel, *(["Easy read"] if one("easy-read") == "yes" or easy else [])]
    if slug == "contact-details":
        return [v for v in (one("email"), one("mobile")) if v]
    return [YES_NO.get(v, v) for v in (one(name) for name in q.fields) if v]


def summary(request: Request, answers: dict[str, Any], easy: bool) -> list[tuple[str, list[Any]]]:
    """The check page's sections: (heading, rows of key, lines, Change link)."""
    sections = []
    for heading, prefixes in SECTIONS:
        rows = [
            {
                "key": q.easy_title if easy else q.title,
                "lines": [line for line in _lines(q, answers, easy) if line],
                "slug": q.slug,
                "href": _page_url(request, q.slug) + "?change=1",
            }
            for q in flow.questions(answers)
            if q.slug.startswith(prefixes)
        ]
        sections.append((heading, rows))
    return sections
