""" "Tell us you are a carer" as GOV.UK question pages (issue 17): one thing per page, answers
kept server-side while going back, Change links from "Check your answers", errors naming the
field, CSRF on every post, and the confirmation's reference naming the record it became."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from services.registry.bootstrap import Registry
from services.registry.selfservice.entrypoints.web import DRAFT_COOKIE
from tests.integration.registry.selfservice_support import browser, csrf_of
from tests.integration.registry.test_selfservice import registered

pytestmark = pytest.mark.kafka
TELL = "/self-service/tell-us"
ANSWERS: list[tuple[str, dict[str, Any]]] = [
    ("filling-for", {"filling-for": "me"}),
    ("name", {"given-name": "Bethan", "family-name": "Hughes"}),
    ("date-of-birth", {"dob-day": "3", "dob-month": "7", "dob-year": "1975"}),
    ("postcode", {"postcode": "LE11 3TU"}),
    ("nhs-number", {"nhs-number": ""}),
    ("cared-for-1", {"cared-1-relationship": "parent", "cared-1-needs": ["dementia"]}),
    ("another-1", {"cared-1-another": "no"}),
    ("support", {"support": ["vasl_support"]}),
    ("your-words", {"story": "Mum needs me most evenings."}),
    ("share", {"share": ["council", "vasl"]}),
    ("contact", {"contact": "yes"}),
    ("contact-by", {"channel": "email"}),
    ("contact-details", {"email": "bethan@example.org"}),
]


async def answer(
    client: httpx.AsyncClient, slug: str, data: dict[str, Any], query: str = ""
) -> httpx.Response:
    page = await client.get(f"{TELL}/{slug}{query}")
    assert page.status_code == 200, (slug, page.status_code)
    return await client.post(
        f"{TELL}/{slug}{query}", data={**data, "csrf_token": csrf_of(page.text)}
    )


async def test_each_page_asks_one_thing_and_leads_to_check_your_answers_and_a_reference(
    registry: Registry,
) -> None:
    async with browser(registry) as client:
        first = await client.get(TELL)
        assert first.status_code == 200
        assert re.search(r"<h1[^>]*>\s*Who is filling in this form\?\s*</h1>", first.text)
        for index, (slug, data) in enumerate(ANSWERS):
            went = await answer(client, slug, data)
            assert went.status_code == 303, (slug, went.text[:500])
            following = ANSWERS[index + 1][0] if index + 1 < len(ANSWERS) else "check"
            assert went.headers["location"] == f"{TELL}/{following}"
        assert client.cookies.get(DRAFT_COOKIE, path="/self-service")

        check = await client.get(f"{TELL}/check")
        assert check.status_code == 200
        assert "Bethan Hughes" in check.text and "Thursday 3 July 1975" in check.text
        assert f'href="{TELL}/name?change=1"' in check.text
        sent = await client.post(f"{TELL}/check", data={"csrf_token": csrf_of(check.text)})
        assert sent.status_code == 303 and sent.headers["location"] == f"{TELL}/confirmation"
        confirmation = await client.get(f"{TELL}/confirmation")
        assert 'class="govuk-panel govuk-panel--confirmation"' in confirmation.text
        reference = re.search(r'id="reference">([^<]+)<', confirmation.text)
        assert reference
        # Telling us again starts afresh: the sent answers are not there to send twice.
        again = await client.get(f"{TELL}/name")
        assert "Bethan" not in again.text
    assert await registered(registry, reference.group(1))


async def test_going_back_keeps_the_answers_and_change_returns_to_the_check(
    registry: Registry,
) -> None:
    async with browser(registry) as client:
        for slug, data in ANSWERS[:3]:
            await answer(client, slug, data)
        back = await client.get(f"{TELL}/name")
        assert 'value="Bethan"' in back.text and 'value="Hughes"' in back.text
        assert f'href="{TELL}/filling-for" class="govuk-back-link"' in back.text
        for slug, data in ANSWERS[3:]:
            await answer(client, slug, data)

        beth = {"given-name": "Beth", "family-name": "Hughes"}
        changed = await answer(client, "name", beth, "?change=1")
        assert changed.headers["location"] == f"{TELL}/check"
        # A change that adds pages (someone else cared for) asks them before the check.
        more = await answer(client, "another-1", {"cared-1-another": "yes"}, "?change=1")
        assert more.headers["location"] == f"{TELL}/cared-for-2"
        check = await client.get(f"{TELL}/check")
        assert check.status_code == 303 and check.headers["location"] == f"{TELL}/cared-for-2"
        child = {"cared-2-relationship": "child", "cared-2-needs": ["learning_disability"]}
        person = await answer(client, "cared-for-2", child, "?change=1")
        assert person.headers["location"] == f"{TELL}/another-2"
        await answer(client, "another-2", {"cared-2-another": "no"}, "?change=1")
        check = await client.get(f"{TELL}/check")
        assert "Beth Hughes" in check.text and "My child" in check.text


async def test_errors_name_the_field_and_every_post_needs_its_csrf_token(
    registry: Registry,
) -> None:
    async with browser(registry) as client:
        empty = await answer(client, "name", {"given-name": "", "family-name": "Hughes"})
        assert empty.status_code == 422
        assert 'class="govuk-error-summary"' in empty.text
        assert '<a href="#given-name">Enter your first name</a>' in empty.text
        bad = await answer(client, "postcode", {"postcode": "not a postcode"})
        assert bad.status_code == 422 and 'href="#postcode"' in bad.text
        young = await answer(
            client, "date-of-birth", {"dob-day": "31", "dob-month": "2", "dob-year": "2000"}
        )
        assert young.status_code == 422 and 'href="#dob-day"' in young.text
        for path in (f"{TELL}/name", f"{TELL}/check"):
            forged = await client.post(path, data={"given-name": "X", "csrf_token": "forged"})
            assert forged.status_code == 403, path
