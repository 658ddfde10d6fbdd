"""The HTML form without JavaScript, save and return, paper returns keyed in by staff, the
council's reply, and theme sign-off before any theme reaches the results."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import select

from services.consultation.adapters.orm import ResponseRow
from services.consultation.bootstrap import ConsultationService
from shared.web.staff import COOKIE
from tests.integration.consultation.conftest import SLUG, token

pytestmark = pytest.mark.kafka


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


async def test_the_form_page_shows_every_question_and_the_ways_to_respond(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get(f"/consultations/{SLUG}")
    assert page.status_code == 200
    for words in (
        "a) How well, if at all,",
        "b) How important, if at all,",
        "Carers are supported with their wellbeing",
        "f) Is there anything you particularly don’t like",  # noqa: RUF001 (as the report spells it)
        "What is your ethnic group?",
        "Prefer not to say",
        "I would like to be involved in future work",
        "Easy read version",
        "Printable paper version",
        "Save and come back later",
    ):
        assert words in page.text, words
    easy = await client.get(f"/consultations/{SLUG}/easy-read")
    paper = await client.get(f"/consultations/{SLUG}/paper")
    assert "Does our plan get the problems carers have right?" in easy.text
    assert 'name="channel" value="easy_read"' in easy.text
    assert "paper response form" in paper.text and "carers-paper__box" in paper.text


async def test_a_form_post_with_a_mistake_comes_back_422_with_an_error_summary_and_answers_kept(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    page = await client.get(f"/consultations/{SLUG}")
    form = {
        "csrf_token": csrf(page),
        "channel": "online",
        "q-a": "Very well",
        "q-g": "Somebody to talk to",
        "involve": "yes",
        "contact-name": "Sam",
        "contact-email": "sam@",
        "action": "submit",
    }

    reply = await client.post(f"/consultations/{SLUG}/responses", data=form)

    assert reply.status_code == 422
    assert "govuk-error-summary" in reply.text and "There is a problem" in reply.text
    assert 'href="#contact-email"' in reply.text and 'href="#consent"' in reply.text
    assert "<title>Error:" in reply.text
    assert "Somebody to talk to</textarea>" in reply.text  # the carer's words are kept
    assert 'value="Very well" checked' in reply.text


async def test_a_form_post_without_its_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    reply = await client.post(
        f"/consultations/{SLUG}/responses", data={"q-a": "Very well", "action": "submit"}
    )
    assert reply.status_code == 403


async def test_save_and_return_by_code_then_submit_clears_the_draft(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    page = await client.get(f"/consultations/{SLUG}/easy-read")
    saved = await client.post(
        f"/consultations/{SLUG}/responses",
        data={
            "csrf_token": csrf(page),
            "channel": "easy_read",
            "q-b-wellbeing": "Very important",
            "q-h": "More later",
            "action": "save",
        },
    )
    code = re.search(r'id="return-code">([A-Z0-9-]+)<', saved.text).group(1)  # type: ignore[union-attr]

    back = await client.get(
        f"/consultations/{SLUG}/return", params={"code": code.lower().replace("-", "")}
    )
    wrong = await client.get(f"/consultations/{SLUG}/return", params={"code": "AAAA-AAAA"})
    form = {
        "csrf_token": csrf(back),
        "channel": "easy_read",
        "code": code,
        "q-b-wellbeing": "Very important",
        "q-h": "More later, and now finished",
        "action": "submit",
    }
    done = await client.post(f"/consultations/{SLUG}/responses", data=form)
    again = await client.get(f"/consultations/{SLUG}/return", params={"code": code})

    assert saved.status_code == 200 and re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert (
        back.status_code == 200
        and "More later</textarea>" in back.text
        and "carers-easy-read" in back.text
    )
    assert wrong.status_code == 422 and "govuk-error-summary" in wrong.text
    assert done.status_code == 201 and "Thank you for your response" in done.text
    assert again.status_code == 422  # a submitted draft is gone
    async with service.runtime.sessions() as session:
        [row] = (await session.exec(select(ResponseRow))).all()
    assert row.channel == "easy_read"


async def test_staff_key_in_paper_returns_marked_as_paper_and_entered_by_them(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    staff = token(service)
    client.cookies.set(COOKIE, staff["Authorization"].removeprefix("Bearer "))
    page = await client.get(f"/consultations/{SLUG}/paper-entry")
    form = {
        "csrf_token": csrf(page),
        "channel": "paper",
        "paper_reference": "P-0042",
        "q-c": "Strongly agree",
        "action": "submit",
    }

    reply = await client.post(f"/consultations/{SLUG}/responses", data=form)
    client.cookies.clear()
    public = await client.get(f"/consultations/{SLUG}/paper-entry", headers={"Accept": "text/html"})

    assert (
        page.status_code == 200 and reply.status_code == 201 and "Paper return saved" in reply.text
    )
    assert public.status_code == 401 and "Sign in as a member of staff" in public.text
    async with service.runtime.sessions() as session:
        [row] = (await session.exec(select(ResponseRow))).all()
    assert (row.channel, row.paper_reference, row.entered_by) == ("paper", "P-0042", "council:LCC")


async def test_we_asked_you_said_we_did_appears_once_the_council_records_its_reply(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    before = await client.get(f"/consultations/{SLUG}/we-asked-you-said-we-did")
    body = {
        "we_asked": "Whether the priorities are right.",
        "you_said": "Breaks matter most.",
        "we_did": "We added a respite action.",
    }
    refused = await client.put(f"/consultations/{SLUG}/council-response", json=body)
    saved = await client.put(
        f"/consultations/{SLUG}/council-response", json=body, headers=token(service)
    )
    after = await client.get(f"/consultations/{SLUG}/we-asked-you-said-we-did")

    assert before.status_code == 404
    assert refused.status_code == 401 and saved.status_code == 200
    assert after.status_code == 200 and "We added a respite action." in after.text


ANSWERS = [
    ("g", "I never get a break from caring, I am exhausted."),
    ("g", "A few hours of respite each week so I can rest."),
    ("h", "I feel so lonely and isolated, nobody to talk to."),
    ("g", "The bus from our village was cut."),
    ("h", "No bus on Sundays so we are stuck in the village."),
    ("d", "The village bus service is the real problem for us."),
    ("d", "Our village has no bus after six."),
    ("h", "Our flat is not suitable for a wheelchair and housing ignore us."),
    ("h", "Waiting years for housing adaptations like a stairlift."),
    ("d", "Housing adaptations for wheelchair users take too long."),
]


async def test_themes_reach_the_results_only_after_an_officer_signs_them_off(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    for question, text in ANSWERS:
        assert (
            await client.post(
                f"/consultations/{SLUG}/responses", json={"answers": {question: text}}
            )
        ).status_code == 201
    staff = token(service)

    run = await client.post(f"/consultations/{SLUG}/themes/run", headers=staff)
    proposed = {
        t["key"]: t
        for t in (await client.get(f"/consultations/{SLUG}/themes", headers=staff)).json()
    }
    unsigned = (await client.get(f"/consultations/{SLUG}/results", headers=staff)).json()

    assert run.status_code == 200 and {"respite", "loneliness"} <= set(run.json()["known_themes"])
    assert all(t["status"] == "proposed" for t in proposed.values())
    assert proposed["respite"]["examples"][0]["why"]["cues"]  # explained by words and cues
    assert (
        all(not q["themes"] for q in unsigned["free_text"])
        and unsigned["themes_awaiting_sign_off"] >= 3
    )
    [bus] = [k for k, t in proposed.items() if t["kind"] == "emergent" and "bus" in t["words"]]
    assert "bus" in proposed[bus]["words"] and proposed[bus]["answers"] >= 3

    decisions = [
        ("respite", {"action": "confirm"}),
        (bus, {"action": "rename", "label": "Rural transport"}),
        ("loneliness", {"action": "reject"}),
    ]
    for key, body in decisions:
        assert (
            await client.post(
                f"/consultations/{SLUG}/themes/{key}/decision", json=body, headers=staff
            )
        ).status_code == 200
    bad = await client.post(
        f"/consultations/{SLUG}/themes/respite/decision",
        json={"action": "merge", "into": "loneliness"},
        headers=staff,
    )
    signed = (await client.get(f"/consultations/{SLUG}/results", headers=staff)).json()

    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "into"]
    themes = {q["id"]: {t["label"]: t["count"] for t in q["themes"]} for q in signed["free_text"]}
    assert themes["g"]["Respite from caring responsibilities"] == 2
    assert "Rural transport" in themes["d"] or "Rural transport" in themes["h"]
    assert not any("Tackling loneliness" in label for q in themes.values() for label in q)
    g = next(q for q in signed["free_text"] if q["id"] == "g")
    assert g["answered"] == 3 and g["themes"][0]["percent"] == 66.7  # 2 of the 3 who answered g


async def test_the_review_page_signs_off_a_theme_with_a_form(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    await client.post(
        f"/consultations/{SLUG}/responses", json={"answers": {"g": "I need a break from caring."}}
    )
    client.cookies.set(COOKIE, token(service)["Authorization"].removeprefix("Bearer "))
    page = await client.get(f"/consultations/{SLUG}/themes/review")
    await client.post(f"/consultations/{SLUG}/themes/run", data={"csrf_token": csrf(page)})
    page = await client.get(f"/consultations/{SLUG}/themes/review")
    decided = await client.post(
        f"/consultations/{SLUG}/themes/respite/decision",
        data={"csrf_token": csrf(page), "action": "rename", "label": "Breaks from caring"},
    )
    after = await client.get(f"/consultations/{SLUG}/themes/review")

    assert decided.status_code == 303
    assert "Breaks from caring" in after.text and "confirmed" in after.text
