"""A carer completes the consultation with the keyboard alone, in headless Chromium, and
axe-core finds no WCAG 2.2 AA violation on any page, the easy read version included."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.e2e.consultation.conftest import SLUG, Site, sign_in
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.kafka


def tab_to(page: Any, selector: str, limit: int = 250) -> None:
    """Press Tab until the element matching ``selector`` has focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {selector} with the Tab key")


def choose(page: Any, name: str, value: str) -> None:
    """Pick a radio option the keyboard way: Tab into the group, Space, then arrow keys."""
    tab_to(page, f'input[name="{name}"]')
    page.keyboard.press("Space")
    for _ in range(12):
        if (
            page.evaluate("n => document.querySelector(`input[name='${n}']:checked`)?.value", name)
            == value
        ):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"could not choose {value!r} for {name}")


def test_a_carer_completes_the_form_with_the_keyboard_only(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/consultations/{SLUG}")
    assert_accessible(page)

    choose(page, "q-a", "Fairly well")
    tab_to(page, "#q-a_why")
    page.keyboard.type("It understands breaks but not GP appointments.")
    choose(page, "q-b-recognised", "Very important")
    choose(page, "q-b-access", "Fairly important")
    choose(page, "q-c", "Tend to agree")
    tab_to(page, "#q-g")
    page.keyboard.type("A few hours off each week.")
    choose(page, "q-respondent_type", "As a carer")
    choose(page, "eq-age_band", "55 to 64")
    tab_to(page, "#submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.locator("h1").inner_text() == "Thank you for your response"
    assert re.fullmatch(r"[0-9a-f-]{36}", page.locator("#response-id").inner_text())
    assert_accessible(page)
    answers = httpx.get(
        f"{site.url}/consultations/{SLUG}/export.csv",
        headers={"Authorization": f"Bearer {site.staff_token}"},
    ).text
    assert "Fairly well" in answers and "A few hours off each week." in answers


def test_errors_are_summarised_focused_and_linked_to_their_fields(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/consultations/{SLUG}")
    tab_to(page, "#involve")
    page.keyboard.press("Space")
    tab_to(page, "#contact-email")
    page.keyboard.type("not-an-email")
    tab_to(page, "#submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    summary = page.locator(".govuk-error-summary")
    assert "Enter your name" in summary.inner_text()
    assert page.evaluate("document.activeElement.closest('.govuk-error-summary') !== null")
    assert page.title().startswith("Error:")
    assert_accessible(page)
    tab_to(page, '.govuk-error-summary a[href="#contact-name"]')
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contact-name"


def test_the_easy_read_version_can_be_saved_and_continued(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/consultations/{SLUG}/easy-read")
    assert_accessible(page)
    assert "Does our plan get the problems carers have right?" in page.content()
    choose(page, "q-a", "Very well")
    tab_to(page, "#save")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    code = page.locator("#return-code").inner_text()
    assert_accessible(page)

    page.goto(f"{site.url}/consultations/{SLUG}/return")
    assert_accessible(page)
    tab_to(page, "#code")
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator('input[name="q-a"][value="Very well"]').is_checked()
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/consultations/{SLUG}/paper",
        "/consultations/draft-joint-carers-strategy-2022-25",
        "/staff/sign-in",
        f"/consultations/{SLUG}/we-asked-you-said-we-did",
    ],
)
def test_public_pages_have_no_wcag_22_aa_violations(page: Any, site: Site, path: str) -> None:
    page.goto(site.url + path)
    assert page.locator("h1").count() == 1
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    [
        f"/consultations/{SLUG}/report",
        f"/consultations/{SLUG}/themes/review",
        f"/consultations/{SLUG}/paper-entry",
    ],
)
def test_staff_pages_have_no_wcag_22_aa_violations(page: Any, site: Site, path: str) -> None:
    auth = {"Authorization": f"Bearer {site.staff_token}"}
    httpx.post(
        f"{site.url}/consultations/{SLUG}/responses",
        json={"answers": {"a": "Very well", "g": "I need a break from caring."}},
    )
    httpx.post(f"{site.url}/consultations/{SLUG}/themes/run", headers=auth, timeout=60)
    sign_in(page, site)
    page.goto(site.url + path)
    assert page.locator("h1").count() == 1
    assert_accessible(page)


def test_the_council_reply_page_has_no_wcag_22_aa_violations(page: Any, site: Site) -> None:
    body = {
        "we_asked": "Whether our priorities are right.",
        "you_said": "Breaks matter most.",
        "we_did": "We added respite.",
    }
    httpx.put(
        f"{site.url}/consultations/{SLUG}/council-response",
        json=body,
        headers={"Authorization": f"Bearer {site.staff_token}"},
    )
    page.goto(f"{site.url}/consultations/{SLUG}/we-asked-you-said-we-did")
    assert page.locator("h1").inner_text() == "We asked, you said, we did"
    assert_accessible(page)


def test_the_accessibility_check_does_catch_a_violation(page: Any) -> None:
    page.set_content(
        '<html lang="en"><head><title>t</title></head>'
        '<body><main><input type="text"></main></body></html>'
    )
    with pytest.raises(AssertionError, match="label"):
        assert_accessible(page)
