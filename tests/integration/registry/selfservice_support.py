"""Driving the self-service pages in-process over HTTPS (so ``Secure`` cookies flow)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from services.registry.bootstrap import Registry
from services.registry.selfservice.entrypoints.web import CHALLENGE_COOKIE
from shared.signin_code import code_key, signin_code

TELL_US = {
    "filling-for": "me", "given-name": "Dilys", "family-name": "Ó Briain",
    "dob-day": "9", "dob-month": "2", "dob-year": "1971", "postcode": "LE18 2AB",
    "email": "dilys@example.org", "cared-1-relationship": "spouse_or_partner",
    "cared-1-needs": ["long_term_illness", "mental_health"], "cared-1-lives": "yes",
    "support": ["carers_assessment", "vasl_support"], "share": ["council", "vasl"],
    "contact": "yes", "channel": "email", "story": "My husband has MS. Evenings are hard.",
}  # fmt: skip
DOB = {"dob-day": "9", "dob-month": "2", "dob-year": "1971"}


def browser(registry: Registry) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=registry.app, client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url="https://registry")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "every self-service form carries a CSRF token"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, page_path: str, data: dict[str, Any], post_path: str | None = None
) -> httpx.Response:
    page = await client.get(page_path)
    return await client.post(
        post_path or page_path, data={**data, "csrf_token": csrf_of(page.text)}
    )


async def tell_us(client: httpx.AsyncClient, **changes: Any) -> str:
    answer = await post_form(client, "/self-service/tell-us", {**TELL_US, **changes})
    assert answer.status_code == 200, answer.text[:2000]
    found = re.search(r'id="reference">([^<]+)<', answer.text)
    assert found
    return found.group(1)


async def ask_for_code(
    client: httpx.AsyncClient, identifier: str, dob: dict[str, str] = DOB
) -> httpx.Response:
    return await post_form(client, "/self-service/check", {"identifier": identifier, **dob})


def challenge_of(client: httpx.AsyncClient) -> str:
    value = client.cookies.get(CHALLENGE_COOKIE, path="/self-service")
    assert value
    return value


def code_for(registry: Registry, challenge_id: str) -> str:
    """The code the notifications service would send for this challenge."""
    return signin_code(code_key(registry.settings.token_secret), challenge_id)


async def enter_code(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await post_form(client, "/self-service/check/code", {"code": code})
