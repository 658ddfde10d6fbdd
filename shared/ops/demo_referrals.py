"""The README demo's last act: a member of staff accepts and completes a referral in the
referral team's web page, as a browser without JavaScript would.

Plain HTTP form posts (httpx), each carrying the CSRF token the page gave, signed in with the
staff cookie the sign-in page sets: exactly the requests the page's forms make, so the demo
shows the page working, not a shortcut around it. Called from ``shared/ops/demo.py``::

    from shared.ops.demo_referrals import show_referral_in_web_page
    show_referral_in_web_page(referrals, mint_token(secret, "vasl", "VASL"), made[0]["referral_id"])
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import httpx

# What each service's team records in the demo (the outcome form's fields, by service).
DEMO_OUTCOMES: dict[str, tuple[str, dict[str, str]]] = {
    "vasl": ("signposted", {"signposted-to": "VASL carers' wellbeing group, Market Harborough"}),
    "carers_assessment": (
        "assessment_completed",
        {"eligible-needs": "yes", "direct-payment": "weekly", "amount": "120.50"},
    ),
    "support_at_home": (
        "assessment_completed",
        {"eligible-needs": "no", "direct-payment": "none", "amount": ""},
    ),
    "young_carers": (
        "passport_issued",
        {
            "passport-number": "YC-0342",
            "issued-on-day": "2",
            "issued-on-month": "3",
            "issued-on-year": "2026",
        },
    ),
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class DemoFailed(RuntimeError):
    """The page did not do what a member of staff would expect; the message says where."""


def _csrf(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    if not found:
        raise DemoFailed(f"{page.url}: no form with a CSRF token (status {page.status_code})")
    return found.group(1)


def _text_of(page: httpx.Response, element_id: str) -> str:
    """The visible text of the element with ``element_id`` (tags stripped, spaces folded)."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|dd|h1|div|ul|ol)>', page.text, re.S)
    if not found:
        return ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _banner(page: httpx.Response) -> str:
    found = re.search(r'class="govuk-notification-banner__heading">(.*?)</p>', page.text, re.S)
    return " ".join(html.unescape(found.group(1)).split()) if found else ""


def _post(client: httpx.Client, path: str, page: httpx.Response, **fields: str) -> httpx.Response:
    """Post a form from ``page`` the way a browser would, and follow its redirect."""
    answer = client.post(path, data={"csrf_token": _csrf(page), **fields})
    if answer.status_code == 303:
        return client.get(answer.headers["location"])
    raise DemoFailed(
        f"POST {path} answered {answer.status_code}: {_text_of(answer, 'main-content')}"
    )


def _keeping_cookies_as_a_browser_does(
    client: httpx.Client,
) -> Callable[[httpx.Response], None]:
    """A response hook sending the page's ``Secure`` cookies back over plain HTTP.

    Browsers treat http://127.0.0.1 and localhost as secure contexts and return Secure
    cookies to them; httpx's cookie jar returns them only over https. Kept in the jar again
    without the flag, they go back as a browser would send them.
    """

    def keep(response: httpx.Response) -> None:
        for name, value in response.cookies.items():
            client.cookies.set(name, value)

    return keep


def show_referral_in_web_page(
    base_url: str, token: str, referral_id: str, say: Callable[[str], Any] = print
) -> dict[str, str]:
    """Sign in to the referral team's page with ``token``, accept the referral, record an
    outcome for it, and say what the page showed at each step. Returns what it saw."""
    seen: dict[str, str] = {}
    with httpx.Client(base_url=base_url, timeout=10, headers={"Accept": "text/html"}) as client:
        client.event_hooks["response"] = [_keeping_cookies_as_a_browser_does(client)]
        sign_in = client.get("/staff/sign-in")
        page = _post(
            client,
            "/staff/sign-in",
            sign_in,
            token=token,
            next=f"/referrals/{referral_id}",
        )
        seen["carer"] = _text_of(page, "carer-name")
        seen["status"] = _text_of(page, "status")
        say(f"\nThe referral team's web page, {base_url}/ (signed in with a staff token):")
        say(f"   {seen['carer']}: {seen['status']}; their story is on the page:")
        say(f'   "{_text_of(page, "story")}"')

        page = _post(client, f"/referrals/{referral_id}/accept", page)
        seen["accepted"] = _banner(page)
        say(f"   Pressed 'Accept referral' -> {seen['accepted']} ({_text_of(page, 'status')})")

        service = client.get(
            f"/referrals/{referral_id}", headers={"Accept": "application/json"}
        ).json()["service"]
        kind, fields = DEMO_OUTCOMES[service]
        form = client.get(f"/referrals/{referral_id}/complete", params={"outcome-type": kind})
        page = _post(
            client, f"/referrals/{referral_id}/complete", form, **{"outcome-type": kind}, **fields
        )
        seen["completed"] = _banner(page)
        seen["outcome"] = _text_of(page, "outcome")
        say(f"   Recorded the outcome -> {seen['completed']}: {seen['outcome']}")
        if seen["accepted"] != "Referral accepted" or seen["completed"] != "Referral completed":
            raise DemoFailed(f"the page did not accept and complete the referral: {seen}")
        say(f"   See it yourself: {base_url}/referrals/{referral_id} (sign in at /staff/sign-in)")
    return seen
