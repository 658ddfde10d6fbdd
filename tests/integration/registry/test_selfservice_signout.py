"""Signing out of "Check your support" revokes the session server-side (issue 13).

On the code before it, sign-out only asked the browser to delete its cookie: a copy of the
cookie taken before (a shared PC, a proxy log) still opened the carer's record afterwards.
"""

from __future__ import annotations

import httpx

from services.registry.bootstrap import Registry
from services.registry.selfservice.entrypoints.web import SESSION_COOKIE
from tests.integration.registry.selfservice_support import browser, csrf_of, tell_us
from tests.integration.registry.test_selfservice import registered, signed_in


async def test_a_session_cookie_copied_before_sign_out_is_refused_after_it(
    registry: Registry,
) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        await registered(registry, reference)
        await signed_in(registry, client, reference)
        copied = client.cookies.get(SESSION_COOKIE, path="/self-service")
        assert copied
        page = await client.get("/self-service/your-support")
        assert page.status_code == 200 and "Dilys" in page.text
        transport = httpx.ASGITransport(app=registry.app, client=("203.0.113.8", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="https://registry") as copy:
            before = await copy.get(
                "/self-service/your-support", headers={"cookie": f"{SESSION_COOKIE}={copied}"}
            )
        assert before.status_code == 200 and "Dilys" in before.text  # the copy works, until...
        signed_out = await client.post(
            "/self-service/sign-out", data={"csrf_token": csrf_of(page.text)}
        )
        assert signed_out.status_code == 200

    transport = httpx.ASGITransport(app=registry.app, client=("203.0.113.8", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://registry") as thief:
        headers = {"cookie": f"{SESSION_COOKIE}={copied}"}
        replayed = await thief.get("/self-service/your-support", headers=headers)
    assert replayed.status_code == 303
    assert replayed.headers["location"].endswith("/check")
    assert "Dilys" not in replayed.text


async def test_another_session_of_the_same_carer_is_not_signed_out(registry: Registry) -> None:
    async with browser(registry) as first, browser(registry) as second:
        reference = await tell_us(first)
        await registered(registry, reference)
        await signed_in(registry, first, reference)
        await signed_in(registry, second, reference)
        page = await first.get("/self-service/your-support")
        await first.post("/self-service/sign-out", data={"csrf_token": csrf_of(page.text)})
        assert (await first.get("/self-service/your-support")).status_code == 303
        assert (await second.get("/self-service/your-support")).status_code == 200
