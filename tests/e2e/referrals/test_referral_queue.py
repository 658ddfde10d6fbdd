"""The referral team works its queue in headless Chromium: sign in, find a carer, read their
story, accept, record the outcome, decline another; with and without JavaScript. axe-core
finds no WCAG 2.2 AA violation on any page, error pages included."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.referrals.conftest import Site, run, sign_in
from tests.fixtures.browser import assert_accessible
from tests.harness import eventually
from tests.integration.referrals.support import STORY, referral_events

pytestmark = pytest.mark.kafka


def submit(tab: Any, selector: str) -> None:
    with tab.expect_navigation():
        tab.click(selector)


def test_council_staff_accept_and_complete_a_referral_from_the_queue(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/")
    assert page.url.startswith(f"{site.url}/staff/sign-in")
    assert_accessible(page)
    page.fill("#token", site.tokens["council"])
    submit(page, "button:has-text('Sign in')")

    assert page.locator("h1").inner_text() == "Referrals"
    queue = page.locator("#queue")
    assert "Siân O'Connor-Smith" in queue.inner_text()
    assert "VASL carers support" not in queue.inner_text(), "the council sees its own services"
    assert page.locator("#queue .govuk-tag--red").count() == 1, "Dorothy's referral is overdue"
    assert_accessible(page)

    page.check("#overdue")
    submit(page, "#apply-filters")
    assert page.locator("#queue tbody tr").count() == 1
    assert "Dorothy" in page.locator("#queue").inner_text()
    assert_accessible(page)
    page.goto(f"{site.url}/")

    row = page.locator("#queue tbody tr", has_text="Siân").filter(has_text="Carers assessment")
    with page.expect_navigation():
        row.locator("a").click()
    assert page.locator("#carer-name").inner_text() == "Siân O'Connor-Smith"
    assert page.locator("#story").inner_text().strip() == STORY
    assert "Example Surgery (GP practice, C82001)" in page.locator("#identified-by").inner_text()
    assert "Their parent: dementia" in page.locator("#caring-for").inner_text()
    assert_accessible(page)

    submit(page, "#accept")
    assert page.locator(".govuk-notification-banner").inner_text().endswith("Referral accepted")
    assert "Accepted" in page.locator("#status").inner_text()
    assert_accessible(page)

    submit(page, "#complete")
    assert page.locator("h1").inner_text() == "What was the outcome?"
    assert_accessible(page)
    submit(page, "#continue")
    summary = page.locator(".govuk-error-summary")
    assert "Select the outcome of the referral" in summary.inner_text()
    assert page.title().startswith("Error:")
    assert_accessible(page)

    page.check("#outcome-type")  # assessment completed
    submit(page, "#continue")
    assert page.locator("h1").inner_text() == "Assessment completed"
    assert_accessible(page)
    submit(page, "#submit")
    assert "Select yes if the carer has eligible needs" in summary.inner_text()
    assert_accessible(page)
    page.check("#eligible-needs")
    page.check("#direct-payment-2")  # weekly
    page.fill("#amount", "lots")
    submit(page, "#submit")
    assert "Amount must be an amount in pounds, like 120.50" in summary.inner_text()
    assert_accessible(page)
    page.locator(".govuk-error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "amount", "the summary links to it"
    page.fill("#amount", "120.50")
    submit(page, "#submit")

    assert page.locator(".govuk-notification-banner").inner_text().endswith("Referral completed")
    outcome = page.locator("#outcome").inner_text()
    assert "eligible needs" in outcome and "weekly direct payment of £120.50" in outcome
    assert_accessible(page)

    referral = site.referral("Siân", "carers_assessment")
    assert referral["status"] == "completed"
    assert referral["outcome"]["direct_payment"] == {"kind": "weekly", "amount": "120.50"}

    async def steps() -> list[str]:
        found = await referral_events(site.bootstrap, site.namespace)
        return [e["type"] for e in found if e["data"]["referral_id"] == referral["referral_id"]]

    assert run(eventually(lambda: _at_least(steps, 3))) == [
        "referral.created",
        "referral.accepted",
        "referral.completed",
    ]


async def _at_least(steps: Any, count: int) -> list[str]:
    found = await steps()
    return found if len(found) >= count else []


def test_a_referral_is_declined_with_a_reason(page: Any, site: Site) -> None:
    sign_in(page, site, "council")
    referral = site.referral("Priya", "carers_assessment")
    page.goto(f"{site.url}/referrals/{referral['referral_id']}")
    submit(page, "#decline")
    assert page.locator("label[for=reason]").inner_text() == "Why are you declining this referral?"
    assert_accessible(page)
    submit(page, "#submit")
    assert "Enter why you are declining this referral" in page.locator("#reason-error").inner_text()
    assert_accessible(page)
    page.fill("#reason", "Priya already has an assessment booked with the hospital social worker.")
    submit(page, "#submit")
    assert page.locator(".govuk-notification-banner").inner_text().endswith("Referral declined")
    assert "hospital social worker" in page.locator("#reason").inner_text()
    assert "Declined" in page.locator("#history").inner_text()
    assert_accessible(page)


def test_vasl_staff_see_only_vasl_referrals(page: Any, site: Site) -> None:
    sign_in(page, site, "vasl")
    page.goto(f"{site.url}/")
    rows = page.locator("#queue tbody tr")
    assert rows.count() == 1 and "VASL carers support" in rows.inner_text()
    assert page.locator("#service option").all_inner_texts() == [
        "All your services",
        "VASL carers support",
    ]
    council = site.referral("Aled", "young_carers")
    answer = page.goto(f"{site.url}/referrals/{council['referral_id']}")
    assert answer is not None and answer.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert_accessible(page)


def test_a_wrong_token_is_refused_on_the_sign_in_page(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/staff/sign-in")
    page.fill("#token", "not-a-token")
    submit(page, "button:has-text('Sign in')")
    assert "Enter a valid staff token" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    sign_in(page, site, "gp")
    answer = page.goto(f"{site.url}/")
    assert answer is not None and answer.status == 403
    assert_accessible(page)


def test_the_forms_work_without_javascript(browser: Any, site: Site) -> None:
    """The same pages as above (axe-checked there; axe itself needs JavaScript to run)."""
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    tab = context.new_page()
    try:
        sign_in(tab, site, "council")
        referral = site.referral("Aled", "young_carers")
        tab.goto(f"{site.url}/referrals/{referral['referral_id']}")
        submit(tab, "#accept")
        submit(tab, "#complete")
        tab.check("#outcome-type-2")  # young carer passport issued
        submit(tab, "#continue")
        tab.fill("#passport-number", "YC-0342")
        tab.fill("#issued-on-day", "31")
        tab.fill("#issued-on-month", "2")
        tab.fill("#issued-on-year", "2026")
        submit(tab, "#submit")
        error = tab.locator(".govuk-error-summary").inner_text()
        assert "Date the passport was issued must be a real date" in error
        assert tab.locator("#passport-number").input_value() == "YC-0342", "answers are kept"
        tab.fill("#issued-on-day", "2")
        tab.fill("#issued-on-month", "3")
        submit(tab, "#submit")
        assert re.search(r"Young carer passport YC-0342 issued on 2 March 2026", tab.content())
        withdraw_link = tab.locator("#withdraw")
        assert withdraw_link.count() == 0, "a completed referral cannot be withdrawn"
    finally:
        context.close()


def test_a_referral_is_withdrawn_by_staff_with_a_reason(page: Any, site: Site) -> None:
    sign_in(page, site, "admin")
    referral = site.referral("Siân", "vasl")
    page.goto(f"{site.url}/referrals/{referral['referral_id']}")
    submit(page, "#withdraw")
    assert_accessible(page)
    page.fill("#reason", "Siân asked VASL to get in touch next month instead.")
    submit(page, "#submit")
    assert page.locator(".govuk-notification-banner").inner_text().endswith("Referral withdrawn")
    assert_accessible(page)


def test_the_readme_demo_accepts_and_completes_a_referral_through_the_page(site: Site) -> None:
    """``shared/ops/demo_referrals.py`` drives the same forms with plain posts, as a
    browser without JavaScript would; what it prints is what the page showed."""
    from shared.ops.demo_referrals import show_referral_in_web_page

    referral = site.referral("Dorothy", "carers_assessment")
    said: list[str] = []
    seen = show_referral_in_web_page(
        site.url, site.tokens["council"], referral["referral_id"], say=said.append
    )
    assert seen["carer"] == "Dorothy O'Connor-Smith"
    assert seen["accepted"] == "Referral accepted" and seen["completed"] == "Referral completed"
    assert "weekly direct payment of £120.50" in seen["outcome"]
    assert any("I look after my mum" in line for line in said)
    assert site.referral("Dorothy", "carers_assessment")["status"] == "completed"
