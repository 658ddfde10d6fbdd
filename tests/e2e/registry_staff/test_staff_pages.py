"""The council's duplicate review page and a GP's "carers to code" list in headless Chromium,
with the keyboard only (issue 17); axe-core finds no WCAG 2.2 AA violation on any page."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.e2e.referrals.conftest import run
from tests.e2e.registry_staff.conftest import PRACTICE, Site, sign_in_by_keyboard, tab_to
from tests.fixtures.browser import assert_accessible
from tests.integration.registry.support import body, event, send

pytestmark = pytest.mark.kafka


def press_enter(tab: Any) -> None:
    with tab.expect_navigation():
        tab.keyboard.press("Enter")


def test_a_gp_sees_its_carer_to_code_until_the_practice_codes_them(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/staff/gp/carers-to-code")
    assert_accessible(page)
    sign_in_by_keyboard(page, site.tokens["gp"])
    assert page.locator("h1").inner_text() == "Carers to code"
    listed = page.locator("#carers-to-code").inner_text()
    assert "Siân O'Connor-Smith" in listed and "9434765919" in listed
    assert "224484003" in listed
    assert "9000000009" not in listed, "no consent to share with a GP: not on the list"
    assert_accessible(page)

    coded = event(
        "gp.carer_coded",
        {
            "nhs_number": "9434765919",
            "practice_ods_code": PRACTICE,
            "snomed_code": "224484003",
            "coded_at": "2026-03-02T09:00:00Z",
        },
        source=f"ods:{PRACTICE}",
    )
    run(send(site.bootstrap, site.namespace, (coded, "9434765919")))
    for _ in range(100):
        page.reload()
        if page.locator("#nothing-to-code").count():
            break
        page.wait_for_timeout(200)
    assert page.locator("#nothing-to-code").inner_text() == "There are no patients to code."
    assert_accessible(page)


def test_a_council_officer_merges_a_held_identification_with_a_reason(
    page: Any, site: Site
) -> None:
    page.goto(f"{site.url}/staff/reviews")
    sign_in_by_keyboard(page, site.tokens["council"])
    assert page.locator("h1").inner_text() == "Possible duplicate records"
    assert "Hospital (Royal Infirmary)" in page.locator("#reviews").inner_text()
    assert_accessible(page)

    tab_to(page, "#reviews a")
    press_enter(page)
    comparison = page.locator("#comparison").inner_text()
    assert comparison.count("Siân O'Connor-Smith") == 3, "the held one beside both records"
    assert "*** *** *919" in comparison and "*** *** *009" in comparison
    assert "9434765919" not in page.content(), "NHS numbers are masked"
    assert "sian@example.org" not in page.content(), "contact details are not shown"
    assert_accessible(page)

    tab_to(page, "#save-decision")  # nothing chosen: both questions are answered with errors
    press_enter(page)
    assert page.title().startswith("Error:")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Select keep apart or a record to merge into" in summary
    assert "Enter the reason for your decision" in summary
    assert_accessible(page)

    tab_to(page, "#decision")
    page.keyboard.press("Space")
    tab_to(page, "#reason")
    page.keyboard.type("Same hospital patient; the council's record 1 has her NHS number.")
    tab_to(page, "#save-decision")
    press_enter(page)
    assert "/staff/reviews?done=merged" in page.url
    assert (
        "merged into the record you chose"
        in page.locator(".govuk-notification-banner").inner_text()
    )
    assert page.locator("#no-reviews").count() == 1
    assert_accessible(page)

    with site.api("council") as council:
        assert council.get("/reviews").json() == []
    with sqlite3.connect(site.database) as db:
        status, decided_by, reason = db.execute(
            "SELECT status, decided_by, decision_reason FROM match_reviews"
        ).fetchone()
        actions = {row[0] for row in db.execute("SELECT action FROM audit_log")}
    assert (status, decided_by) == ("merged", "council:LCC")
    assert reason.startswith("Same hospital patient")
    assert {"review_page", "review:merge"} <= actions


def test_a_gp_cannot_open_the_review_page(page: Any, site: Site) -> None:
    cookie = {"name": "carers_staff_token", "value": site.tokens["gp"], "url": site.url}
    page.context.add_cookies([cookie])
    answer = page.goto(f"{site.url}/staff/reviews")
    assert answer is not None and answer.status == 403
    assert page.locator("h1").inner_text() == "You cannot see this page"
    assert_accessible(page)


def test_the_demo_shows_a_suggestion_closed_by_coding(site: Site) -> None:
    """The README demo's GP act (``shared.ops.demo_gp_coding``) against this registry: what
    it prints is what happened."""
    import threading

    from shared.ops.demo_gp_coding import show_gp_coding

    carer = body(
        person__nhs_number="9434765870",
        person__given_name="Dewi",
        person__gp_practice_ods=PRACTICE,
    )
    run(send(site.bootstrap, site.namespace, (event("carer.identified", carer), "9434765870")))
    lines: list[str] = []
    kafka = {"KAFKA_BOOTSTRAP_SERVERS": site.bootstrap, "KAFKA_TOPIC_NAMESPACE": site.namespace}
    act = threading.Thread(  # its own thread: Playwright's sync API may own this one's loop
        target=show_gp_coding,
        args=(site.url, site.tokens["gp"], "9434765870", kafka, lines.append),
    )
    act.start()
    act.join(120)
    assert len(lines) == 5, lines
    assert "Dewi O'Connor-Smith, NHS 9434765870: record SNOMED CT 224484003" in lines[0]
    assert "no longer listed" in lines[3]
