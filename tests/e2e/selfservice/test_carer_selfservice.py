"""A carer at 2 a.m., in headless Chromium: tells us they are a carer with the keyboard only,
one question a page (going back, changing an answer from "Check your answers"), gets the
sign-in code at the local SMTP server, signs in, watches their referral move from requested
to accepted when staff accept it, changes consent and asks for erasure. axe-core finds no
WCAG 2.2 AA violation on any page, easy read included, errors included; the question pages
also work with JavaScript off, the browser's Back button keeping the answers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.selfservice.conftest import HELP_HOURS, HELP_PHONE, Stack, wait
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.kafka
EMAIL = "gwen.carer@example.org"


def tab_to(tab: Any, selector: str, presses: int = 200) -> None:
    """Press Tab until ``selector`` has the focus: how a keyboard user gets there."""
    for _ in range(presses):
        if tab.evaluate("s => document.activeElement.matches(s)", selector):
            return
        tab.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def key_type(tab: Any, selector: str, text: str) -> None:
    tab_to(tab, selector)
    tab.keyboard.type(text)


def key_check(tab: Any, selector: str) -> None:
    tab_to(tab, selector)
    tab.keyboard.press("Space")
    assert tab.is_checked(selector), selector


def key_radio(tab: Any, first: str, target: str) -> None:
    """Tab into a radio group (its first option), then arrow to the option wanted."""
    tab_to(tab, first)
    tab.keyboard.press("Space")
    for _ in range(10):
        if tab.is_checked(target):
            return
        tab.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reached {target}")


def key_submit(tab: Any, selector: str) -> None:
    tab_to(tab, selector)
    with tab.expect_navigation():
        tab.keyboard.press("Enter")


def reload_until(tab: Any, selector: str, text: str, timeout: float = 60) -> None:
    def shown() -> bool:
        tab.reload()
        return text in " ".join(tab.locator(selector).all_inner_texts())

    wait(shown, f"{text!r} in {selector}", timeout)


def continue_by_keyboard(tab: Any, slug: str) -> None:
    """Continue from a question page (axe-checked first) to the next one."""
    assert tab.url.split("?")[0].endswith(f"/tell-us/{slug}") or slug == "filling-for", tab.url
    assert_accessible(tab)
    key_submit(tab, "#continue")


def tell_us_by_keyboard(page: Any) -> None:
    """Every question page with the keyboard only; errors, Back and Change on the way."""
    assert page.locator("h1").inner_text() == "Who is filling in this form?"
    assert_accessible(page)
    key_submit(page, "#continue")  # nothing chosen: the problem is named
    assert page.title().startswith("Error:")
    assert "Select who is filling in this form" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    key_radio(page, "#filling-for", "#filling-for")  # "I am the carer"
    key_submit(page, "#continue")
    key_type(page, "#given-name", "Gwen")
    key_type(page, "#family-name", "Ap Rhys-Jones")
    continue_by_keyboard(page, "name")
    key_submit(page, "#back")  # the Back link: the answers are still there
    assert page.input_value("#given-name") == "Gwen"
    continue_by_keyboard(page, "name")
    key_type(page, "#dob-day", "14")
    key_type(page, "#dob-month", "8")
    key_type(page, "#dob-year", "1975")
    continue_by_keyboard(page, "date-of-birth")
    key_type(page, "#postcode", "LE16 7AA")
    continue_by_keyboard(page, "postcode")
    continue_by_keyboard(page, "nhs-number")  # optional: left empty
    tab_to(page, "#cared-1-relationship")
    page.keyboard.type("My parent")
    assert page.input_value("#cared-1-relationship") == "parent"
    key_check(page, "#cared-1-needs-dementia")
    key_check(page, "#cared-1-needs-frailty")
    key_radio(page, "#cared-1-lives", "#cared-1-lives-no")
    continue_by_keyboard(page, "cared-for-1")
    key_radio(page, "#cared-1-another", "#cared-1-another-no")
    continue_by_keyboard(page, "another-1")
    key_check(page, "#support-vasl_support")
    continue_by_keyboard(page, "support")
    key_type(page, "#story", "Mum has dementia. I work days and visit her every evening.")
    continue_by_keyboard(page, "your-words")
    key_check(page, "#share-vasl")
    continue_by_keyboard(page, "share")
    key_radio(page, "#contact", "#contact")  # yes
    continue_by_keyboard(page, "contact")
    key_radio(page, "#channel", "#channel")  # email first
    continue_by_keyboard(page, "contact-by")
    key_submit(page, "#continue")  # email chosen, none given: named
    assert "Enter your email address" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    key_type(page, "#email", EMAIL)
    continue_by_keyboard(page, "contact-details")

    assert page.locator("h1").inner_text() == "Check your answers before sending"
    assert "Gwen Ap Rhys-Jones" in page.locator("main").inner_text()
    assert_accessible(page)
    key_submit(page, "#change-postcode")
    assert page.input_value("#postcode") == "LE16 7AA"
    page.fill("#postcode", "")
    key_type(page, "#postcode", "LE16 7AB")
    key_submit(page, "#continue")  # a change goes back to the check
    assert page.locator("h1").inner_text() == "Check your answers before sending"
    assert "LE16 7AB" in page.locator("main").inner_text()
    key_submit(page, "#send")
    assert "We have your details" in page.locator("h1").inner_text()


def test_a_carer_registers_signs_in_follows_their_referral_and_erases_their_data(
    page: Any, stack: Stack
) -> None:
    page.goto(f"{stack.registry}/self-service")
    assert page.locator("h1").inner_text() == "Support for carers in Leicestershire"
    help_text = page.locator("#help").inner_text()
    assert HELP_PHONE in help_text and HELP_HOURS in help_text and "County Hall" in help_text
    assert_accessible(page)
    key_submit(page, "#tell-us-link")
    tell_us_by_keyboard(page)

    reference = page.locator("#reference").inner_text()
    assert reference.startswith("CC-")
    assert "Check your support" in page.locator("main").inner_text()
    assert_accessible(page)

    key_submit(page, "#check-link")
    assert page.locator("h1").inner_text() == "Check your support"
    assert_accessible(page)
    key_type(page, "#identifier", reference.lower())
    key_type(page, "#dob-day", "14")
    key_type(page, "#dob-month", "8")
    key_type(page, "#dob-year", "1975")
    key_submit(page, "#send-code")
    assert page.locator("h1").inner_text() == "Check your email or phone"
    assert_accessible(page)

    code = stack.code_for(EMAIL)
    wrong = str((int(code) + 1) % 10**6).zfill(6)
    key_type(page, "#code", wrong)
    key_submit(page, "#continue")
    assert "The code is not right" in page.locator("#code-error").inner_text()
    assert "4 more times" in page.locator("#code-error").inner_text()
    assert_accessible(page)
    key_type(page, "#code", code)
    key_submit(page, "#continue")

    assert page.locator("h1").inner_text() == "Your support"
    assert "You told us yourself" in page.locator("#identified-by").inner_text()
    reload_until(page, "#referrals .referral-status", "Waiting to be accepted")
    referrals = page.locator("#referrals").inner_text()
    assert "Voluntary Action South Leicestershire (VASL)" in referrals
    assert "aim to accept the referral by" in referrals, "what happens next, and when"
    assert_accessible(page)

    with stack.api(stack.referrals, "vasl") as vasl:
        (referral,) = vasl.get("/referrals").json()
        assert referral["status"] == "requested"
        assert vasl.post(f"/referrals/{referral['referral_id']}/accept").status_code == 200
    reload_until(page, "#referrals .referral-status", "Accepted")
    assert "will not need to tell your story again" in page.locator("#referrals").inner_text()
    assert_accessible(page)

    page.goto(f"{stack.registry}/self-service/easy-read/your-support")
    assert page.locator("h1").inner_text() == "Your help"
    assert_accessible(page)
    page.goto(f"{stack.registry}/self-service/easy-read/your-support/erase")
    assert page.locator("h1").inner_text() == "Delete your details"
    assert_accessible(page)
    page.goto(f"{stack.registry}/self-service/your-support")

    key_check(page, "#share")  # now the GP practice too
    key_submit(page, "#save-consent")
    assert (
        "updated who can have your details"
        in page.locator(".govuk-notification-banner").inner_text()
    )
    assert_accessible(page)
    gp_row = "#consent .govuk-summary-list__row:first-child"
    assert page.locator(f"{gp_row} dt").inner_text() == "Share with your GP practice"
    reload_until(page, f"{gp_row} dd", "Yes")
    assert "Accepted" in page.locator("#referrals").inner_text(), "VASL's referral carries on"

    key_submit(page, "#sign-out")
    assert page.locator("h1").inner_text() == "You have signed out"
    assert_accessible(page)
    page.goto(f"{stack.registry}/self-service/your-support")
    assert page.url.endswith("/self-service/check"), "signed out means signed out"
    sent = stack.mails_to(EMAIL)
    key_type(page, "#identifier", reference)
    key_type(page, "#dob-day", "14")
    key_type(page, "#dob-month", "8")
    key_type(page, "#dob-year", "1975")
    key_submit(page, "#send-code")
    key_type(page, "#code", stack.code_for(EMAIL, after=sent))
    key_submit(page, "#continue")
    assert page.locator("h1").inner_text() == "Your support"

    key_submit(page, "#erase-link")
    assert page.locator("h1").inner_text() == "Ask us to erase your details"
    assert_accessible(page)
    key_submit(page, "#confirm-erase")
    assert "Select yes if you want us to erase" in page.locator("#confirm-error").inner_text()
    assert_accessible(page)
    key_radio(page, "#confirm", "#confirm")
    key_submit(page, "#confirm-erase")
    assert page.locator("h1").inner_text() == "We are erasing your details"
    assert_accessible(page)

    with stack.api(stack.registry, "admin") as admin:
        carer_id = referral["carer_id"]
        wait(lambda: admin.get(f"/carers/{carer_id}").status_code == 404, "the record erased")
    with stack.api(stack.referrals, "vasl") as vasl:
        wait(lambda: vasl.get("/referrals").json()[0]["status"] == "withdrawn", "referral ended")
    page.goto(f"{stack.registry}/self-service/your-support")
    assert page.url.endswith("/self-service/check"), "signed out: the session ended"


def test_a_young_carer_uses_the_easy_read_pages(page: Any, stack: Stack) -> None:
    tab = page
    tab.goto(f"{stack.registry}/self-service/easy-read")
    assert tab.locator("h1").inner_text() == "Help for carers"
    assert_accessible(tab)
    with tab.expect_navigation():
        tab.click("#tell-us-link")
    assert "carers-easy-read" in (tab.get_attribute("body", "class") or "")
    assert_accessible(tab)
    fill_young_carer(tab, easy=True, email="not an email")
    assert (
        "Enter an email address in the correct format"
        in tab.locator(".govuk-error-summary").inner_text()
    )
    assert_accessible(tab)
    tab.fill("#email", "")
    with tab.expect_navigation():
        tab.click("#continue")
    assert tab.locator("h1").inner_text() == "Check what you told us"
    assert_accessible(tab)
    with tab.expect_navigation():
        tab.click("#send")
    assert tab.locator("#reference").inner_text().startswith("CC-")
    young = tab.locator("#young-carer-next").inner_text()
    assert "The young carers team will get in touch with you" in young
    assert "Childline" in young and "0800 1111" in young
    assert_accessible(tab)

    tab.goto(f"{stack.registry}/self-service/easy-read/check")
    assert tab.locator("h1").inner_text() == "See your help"
    assert_accessible(tab)
    ask_for_a_code(tab, "CC-ZZZZ-ZZZZ")
    assert tab.locator("h1").inner_text() == "Type your code"
    assert_accessible(tab)
    for _ in range(5):
        tab.fill("#code", "000000")
        with tab.expect_navigation():
            tab.click("#continue")
    assert "wrong code too many times" in tab.locator("h1").inner_text()
    assert_accessible(tab)


YOUNG_CARER: list[tuple[str, dict[str, str], list[str]]] = [
    ("filling-for", {}, ["#filling-for"]),
    ("name", {"#given-name": "Aled", "#family-name": "Evans"}, []),
    ("date-of-birth", {"#dob-day": "2", "#dob-month": "5", "#dob-year": "2013"}, []),
    ("postcode", {"#postcode": "LE2 8AB"}, []),
    ("nhs-number", {}, []),
    ("cared-for-1", {}, ["#cared-1-needs-mental_health"]),
    ("another-1", {}, ["#cared-1-another-no"]),
    ("support", {}, []),
    ("your-words", {}, []),
    ("share", {}, ["#share-council"]),
    ("contact", {}, ["#contact"]),
    ("contact-by", {}, ["#channel-sms"]),
    ("contact-details", {"#mobile": "07700 900777"}, []),
]


def fill_young_carer(tab: Any, *, easy: bool = False, email: str = "") -> None:
    """Aled, 13, answers every question page (axe-checked when JavaScript runs)."""
    for slug, typed, ticked in YOUNG_CARER:
        assert tab.url.split("?")[0].endswith(("/tell-us", f"/tell-us/{slug}")), tab.url
        if easy:
            assert "carers-easy-read" in (tab.get_attribute("body", "class") or "")
            assert_accessible(tab)
        for selector, text in typed.items():
            tab.fill(selector, text)
        for selector in ticked:
            tab.check(selector)
        if slug == "cared-for-1":
            tab.select_option("#cared-1-relationship", "parent")
        if slug == "contact-details" and email:
            tab.fill("#email", email)
        with tab.expect_navigation():
            tab.click("#continue")


def ask_for_a_code(tab: Any, identifier: str) -> None:
    tab.fill("#identifier", identifier)
    tab.fill("#dob-day", "2")
    tab.fill("#dob-month", "5")
    tab.fill("#dob-year", "2013")
    with tab.expect_navigation():
        tab.click("#send-code")


def test_the_pages_work_without_javascript(browser: Any, stack: Stack) -> None:
    """The same pages as above (axe-checked there; axe itself needs JavaScript to run)."""
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        tab.goto(f"{stack.registry}/self-service/tell-us")
        fill_young_carer(tab)
        assert tab.locator("h1").inner_text() == "Check your answers before sending"
        tab.go_back()  # the browser's Back button: the page comes back with its answers
        assert tab.url.endswith("/tell-us/contact-details")
        assert tab.input_value("#mobile") == "07700 900777"
        tab.go_back()
        assert tab.is_checked("#channel-sms")
        with tab.expect_navigation():
            tab.click("#continue")
        with tab.expect_navigation():
            tab.click("#continue")
        with tab.expect_navigation():
            tab.click("#change-name")
        assert tab.input_value("#given-name") == "Aled"
        tab.fill("#given-name", "Aled Rhys")
        with tab.expect_navigation():
            tab.click("#continue")
        assert "Aled Rhys Evans" in tab.locator("main").inner_text()
        with tab.expect_navigation():
            tab.click("#send")
        assert tab.locator("#reference").inner_text().startswith("CC-")
        tab.goto(f"{stack.registry}/self-service/check")
        ask_for_a_code(tab, "CC-YYYY-YYYY")  # ZZZZ is locked by now
        assert tab.locator("h1").inner_text() == "Check your email or phone"
        tab.fill("#code", "000000")
        with tab.expect_navigation():
            tab.click("#continue")
        assert "The code is not right" in tab.locator("#code-error").inner_text()
    finally:
        context.close()


def test_the_demo_registers_a_carer_and_reads_her_referrals(stack: Stack) -> None:
    """The README demo's self-service act, against these services: what it prints is what
    the pages showed."""
    from shared.ops.demo_selfservice import show_self_registration

    said: list[str] = []
    seen = show_self_registration(stack.registry, f"{stack.smtp.http_url}/messages", said.append)
    assert seen["reference"].startswith("CC-")
    assert "Waiting to be accepted" in seen["referrals"]
    assert "Voluntary Action South Leicestershire (VASL)" in seen["referrals"]
    assert any(seen["reference"] in line for line in said)
