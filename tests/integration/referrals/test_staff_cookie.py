"""The referrals API signed in by the staff cookie (issue 13): CSRF on every state change,
sign-out that ends the session server-side.

On the code before it, ``POST /referrals/{id}/accept`` with the staff cookie and a
``text/plain`` body (what another site's form can send without a preflight) got past
sign-in with no CSRF token, and the cookie kept working after sign-out.
"""

from __future__ import annotations

import re

import httpx

from services.referrals.bootstrap import Referrals
from shared.auth import mint_token
from shared.settings import DEV_TOKEN_SECRET

MISSING = "/referrals/00000000-0000-0000-0000-000000000001"


def _browser(referrals: Referrals) -> httpx.AsyncClient:
    # https: the staff and CSRF cookies are Secure, and a cookie jar returns those over TLS.
    transport = httpx.ASGITransport(app=referrals.app)
    return httpx.AsyncClient(transport=transport, base_url="https://referrals")


async def _sign_in(client: httpx.AsyncClient, token: str) -> str:
    page = await client.get("/staff/sign-in")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    answer = await client.post(
        "/staff/sign-in", data={"token": token, "csrf_token": found.group(1), "next": "/"}
    )
    assert answer.status_code == 303
    for line in answer.headers.get_list("set-cookie"):
        assert "secure" in line.lower(), line
    return found.group(1)


async def test_a_cookie_signed_state_change_needs_the_csrf_token(referrals: Referrals) -> None:
    token = mint_token(DEV_TOKEN_SECRET, "admin", "LCC")
    async with _browser(referrals) as client:
        csrf = await _sign_in(client, token)
        for step in ("accept", "decline", "complete", "withdraw"):
            forged = await client.post(
                f"{MISSING}/{step}", content="{}", headers={"content-type": "text/plain"}
            )
            assert forged.status_code == 403, (step, forged.text)
            assert "csrf_token" in forged.json()["detail"]
            as_json = await client.post(f"{MISSING}/{step}", json={})
            assert as_json.status_code == 403, step
            with_token = await client.post(
                f"{MISSING}/{step}", json={}, headers={"x-csrf-token": csrf}
            )
            # Past the check: no such referral (or, without a reason, the body is incomplete).
            assert with_token.status_code in (404, 422), (step, with_token.text)
        assert (await client.get("/referrals")).status_code == 200  # reads need no token
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=referrals.app), base_url="https://referrals"
    ) as system:
        bearer = await system.post(
            f"{MISSING}/accept", json={}, headers={"authorization": f"Bearer {token}"}
        )
    assert bearer.status_code == 404  # a bearer header is never sent cross-site by a browser


async def test_a_staff_cookie_copied_before_sign_out_is_refused_after_it(
    referrals: Referrals,
) -> None:
    token = mint_token(DEV_TOKEN_SECRET, "admin", "LCC")
    async with _browser(referrals) as client:
        csrf = await _sign_in(client, token)
        copied = client.cookies.get("carers_staff_token")
        assert copied
        out = await client.post("/staff/sign-out", data={"csrf_token": csrf})
        assert out.status_code == 303
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=referrals.app), base_url="https://referrals"
    ) as thief:
        replayed = await thief.get("/referrals", headers={"cookie": f"carers_staff_token={copied}"})
        assert replayed.status_code == 401, replayed.text
        # The token itself, as a partner system's bearer header, is not what was signed out.
        system = await thief.get("/referrals", headers={"authorization": f"Bearer {token}"})
        assert system.status_code == 200
