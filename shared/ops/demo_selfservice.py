"""The README demo's self-service act: a carer tells us they are a carer on the registry's
public pages at any hour, gets a reference, signs in with the one-time code that reaches the
local SMTP server, and reads where their referrals stand.

Plain HTTP form posts, as a browser without JavaScript would make them, each with the CSRF
token its page gave. The self-service cookies are ``Secure``; browsers keep them on
``http://127.0.0.1`` (a secure context) but httpx would not, so this client carries them
itself. Called from ``shared/ops/demo.py``.
"""

from __future__ import annotations

import html
import random
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

# A birthday of her own each run: telling us again as someone already registered (same name,
# date of birth and postcode) is held as a claim for that record, not a new registration
# (docs/trust.md), so a second demo against the same database would wait for the wrong inbox.
BIRTHDAY = {
    "dob-day": str(random.randrange(1, 29)),
    "dob-month": str(random.randrange(1, 13)),
    "dob-year": str(random.randrange(1950, 2000)),
}


class FormClient:
    """Follows a person through the pages: their cookies, each page's CSRF token."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=10)
        self.cookies: dict[str, str] = {}

    def _keep(self, answer: httpx.Response) -> httpx.Response:
        for name, value in answer.cookies.items():
            self.cookies[name] = value
        return answer

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def get(self, path: str) -> httpx.Response:
        return self._keep(self.http.get(path, headers=self._headers()))

    def post(self, path: str, data: dict[str, Any], page: str | None = None) -> httpx.Response:
        form = self.get(page or path).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, f"{page or path} has no form"
        answer = self.http.post(
            path, data={**data, "csrf_token": token.group(1)}, headers=self._headers()
        )
        return self._keep(answer)


def _text(page: str, element_id: str) -> str:
    """The words of the element with ``element_id``, up to the page's next heading."""
    start = page.find(f'id="{element_id}"')
    if start < 0:
        return ""
    start = page.index(">", start) + 1
    end = min(i for i in (page.find("<h2", start), page.find("</main", start), len(page)) if i >= 0)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start:end]))).strip()


def _wait(what: str, probe: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise SystemExit(f"demo failed: {what} did not happen within {timeout:.0f} s")


def show_self_registration(
    registry: str, smtp_messages: str, say: Callable[[str], None] = print
) -> dict[str, str]:
    """Register, sign in and read the support page; returns what the carer saw."""
    email = f"gwen.{random.randrange(10**6):06d}@example.org"
    person = FormClient(registry)
    told = person.post(
        "/self-service/tell-us",
        {
            "filling-for": "me", "given-name": "Gwen", "family-name": "Ap Rhys-Jones",
            **BIRTHDAY, "postcode": "LE16 7AA", "email": email,
            "cared-1-relationship": "parent", "cared-1-needs": ["dementia", "frailty"],
            "cared-2-relationship": "child", "cared-2-needs": ["learning_disability"],
            "support": ["carers_assessment", "vasl_support"], "share": ["council", "vasl"],
            "contact": "yes", "channel": "email",
            "story": "Mum has dementia and my son has a learning disability. I work days.",
        },
    )  # fmt: skip
    found = re.search(r'id="reference">([^<]+)<', told.text)
    if found is None:
        raise SystemExit(f"demo failed: the tell-us page answered {told.status_code}")
    reference = found.group(1)
    say(f"   POST /self-service/tell-us -> {told.status_code}; her reference: {reference}")

    def mails() -> list[dict[str, Any]]:
        found = httpx.get(smtp_messages, params={"to": email}, timeout=5).json()
        # Referral news goes to the same address: only sign-in code messages count.
        return [m for m in found if m["subject"].startswith("Your code")]

    def support_page() -> str | None:
        # Until the registry has processed her identification (a second or two), a request
        # for a code sends nothing (and says nothing): ask, wait a while, ask again.
        before = len(mails())
        if (
            person.post("/self-service/check", {"identifier": reference, **BIRTHDAY}).status_code
            != 303
        ):
            return None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(mails()) == before:
            time.sleep(0.5)
        code = re.search(r"\b(\d{6})\b", mails()[-1]["text"]) if len(mails()) > before else None
        if code is None:
            return None
        person.post("/self-service/check/code", {"code": code.group(1)})
        page = person.get("/self-service/your-support")
        return page.text if page.status_code == 200 else None

    page = _wait("a sign-in code at the SMTP server", support_page, timeout=90)
    say(f"   she asks for a code, it arrives by email ({smtp_messages}?to={email}),")
    say("   and she signs in to 'Check your support'.")

    def referrals_shown() -> str | None:
        text = _text(person.get("/self-service/your-support").text, "referrals")
        return text if "Waiting" in text else None

    shown = _wait("her referrals on her support page", referrals_shown)
    say(f"   Her page says: {shown[:300]}")
    say(f"   Who identified her: {_text(page, 'identified-by')}")
    return {"reference": reference, "referrals": shown, "email": email}
