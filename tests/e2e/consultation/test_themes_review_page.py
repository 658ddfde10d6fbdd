"""An officer works through the themes review queue with the keyboard alone, in headless
Chromium: the answers the computer is unsure of come first, marked "Needs a person", and
ticking a theme and saving records the correction through the same service-layer function
as the JSON endpoint; the answer is then shown "Corrected by" the officer, last. axe-core
finds no WCAG 2.2 AA violation before or after."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.consultation.conftest import SLUG, Site, sign_in
from tests.e2e.consultation.test_browser_form import tab_to
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.kafka

MURKY = "It's hard sometimes, you know, with everything."
CLEAR = "I can never get a GP appointment for myself, the surgery line is always engaged."


def test_an_officer_corrects_an_unsure_answer_with_the_keyboard_only(page: Any, site: Site) -> None:
    for text in (CLEAR, MURKY):
        reply = httpx.post(
            f"{site.url}/consultations/{SLUG}/responses", json={"answers": {"g": text}}
        )
        assert reply.status_code == 201
    sign_in(page, site)
    page.goto(f"{site.url}/consultations/{SLUG}/themes/review")

    first = page.locator("#answer-1")
    assert MURKY in first.inner_text()
    assert "Needs a person" in first.locator(".govuk-tag").inner_text()
    last = page.locator("#queue [id^='answer-'][id$='-title']").count()
    assert CLEAR in page.locator(f"#answer-{last}").inner_text()
    assert page.locator(f"#answer-{last} .govuk-tag").count() == 0  # confident: no tag
    assert page.locator(f"#answer-{last}-health_access").is_checked()  # its suggestion
    assert_accessible(page)

    tab_to(page, "#answer-1-respite", limit=400)
    page.keyboard.press("Space")
    tab_to(page, "#answer-1-save")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "Themes saved" in page.locator("#saved-message").inner_text()
    assert_accessible(page)
    # Kept (in the database) and shown at once: the corrected answer is done, so it goes
    # last, tagged with who corrected it, its officer's theme ticked; nothing needs a person.
    assert CLEAR in page.locator("#answer-1").inner_text()
    done = page.locator(f"#answer-{last}")
    assert MURKY in done.inner_text()
    assert "Corrected by " in done.locator(".govuk-tag").inner_text()
    assert page.locator("#queue .govuk-tag", has_text="Needs a person").count() == 0
    assert page.locator(f"#answer-{last}-respite").is_checked()
    queue = httpx.get(
        f"{site.url}/consultations/{SLUG}/themes/queue",
        headers={"Authorization": f"Bearer {site.staff_token}"},
    ).json()
    murky = next(a for a in queue if a["text"] == MURKY)
    assert murky["corrected"] is True and murky["themes"] == ["respite"] and murky["corrected_by"]


def test_the_queue_is_paginated_and_a_bad_page_number_is_named(page: Any, site: Site) -> None:
    for n in range(21):  # one more than a page
        httpx.post(
            f"{site.url}/consultations/{SLUG}/responses",
            json={"answers": {"g": f"Answer number {n} about a break."}},
        )
    sign_in(page, site)
    page.goto(f"{site.url}/consultations/{SLUG}/themes/review")
    assert page.locator("#queue .govuk-pagination").inner_text().count("Page 1 of") == 1
    tab_to(page, "#queue a[rel='next']", limit=600)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "page=2" in page.url and page.locator("#answer-1").count() == 1
    assert_accessible(page)

    bad = page.request.get(f"{site.url}/consultations/{SLUG}/themes/review?page=0")
    assert bad.status == 422 and bad.json()["detail"][0]["loc"] == ["query", "page"]
