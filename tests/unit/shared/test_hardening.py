"""Web hardening (shared/web/hardening.py): headers, body and nesting limits, lone surrogates.

On the code before it, each of these reached a parser and came back as a 500 (or, for the
8 MB body, was parsed in full), and no response carried a security header.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from shared.web.hardening import (
    content_security_policy,
    harden,
    json_depth_exceeds,
    lone_surrogate_path,
)


class Person(BaseModel):
    given_name: str


def make_app(max_body_bytes: int = 1_048_576, max_json_depth: int = 64) -> FastAPI:
    app = FastAPI()
    harden(
        app, SimpleNamespace(http_max_body_bytes=max_body_bytes, http_max_json_depth=max_json_depth)
    )
    seen: dict[str, Any] = {}
    app.state.seen = seen

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, Any]:
        body = await request.json()
        seen["body"] = body
        return {"ok": True}

    @app.post("/people")
    async def people(person: Person) -> dict[str, str]:
        person.given_name.encode("utf-8")  # as the database driver would
        return {"name": person.given_name}

    @app.post("/recurse")
    async def recurse() -> None:
        raise RecursionError("maximum recursion depth exceeded")

    @app.get("/page")
    async def page() -> dict[str, str]:
        return {"page": "yes"}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(max_body_bytes=64 * 1024))
    async with httpx.AsyncClient(transport=transport, base_url="https://svc") as http:
        yield http


async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/page")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer")


def test_the_csp_allows_govuk_frontends_inline_script_by_its_published_hash() -> None:
    # The hash GOV.UK Frontend documents for its `js-enabled` line (v5).
    assert "'sha256-GUQ5ad8JK5KmEWmROf3LZd9ge94daqNvd8xy9YS1iDw='" in content_security_policy()


async def test_a_body_over_the_limit_is_413_by_its_declared_length(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/raw", content=b"[" + b"1," * 40_000 + b"1]")
    assert response.status_code == 413
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert "body" not in client._transport.app.state.seen  # type: ignore[attr-defined]


async def test_a_chunked_body_over_the_limit_is_413_though_it_declares_no_length(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"a": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = await client.post("/raw", content=chunks())
    assert response.status_code == 413


async def test_a_body_just_under_the_limit_still_reaches_the_route(
    client: httpx.AsyncClient,
) -> None:
    body = json.dumps({"a": "x" * (60 * 1024)})
    response = await client.post("/raw", content=body)
    assert response.status_code == 200


async def test_deeply_nested_json_is_422_naming_the_body_whatever_its_content_type(
    client: httpx.AsyncClient,
) -> None:
    deep = b"[" * 20_000 + b"]" * 20_000
    for content_type in ("application/json", "text/plain"):
        response = await client.post("/raw", content=deep, headers={"content-type": content_type})
        assert response.status_code == 422, content_type
        assert response.json()["detail"][0]["loc"] == ["body"]


async def test_brackets_inside_strings_do_not_count_as_nesting(client: httpx.AsyncClient) -> None:
    body = json.dumps({"note": "[" * 500 + '\\"{' * 100})
    response = await client.post("/raw", content=body)
    assert response.status_code == 200


def test_the_nesting_scan_counts_only_structure() -> None:
    assert json_depth_exceeds(b"[" * 65 + b"]" * 65, 64)
    assert not json_depth_exceeds(b"[" * 64 + b"]" * 64, 64)
    assert not json_depth_exceeds(json.dumps(["[" * 100]).encode(), 64)
    assert not json_depth_exceeds(json.dumps([[1]] * 100).encode(), 64)
    assert json_depth_exceeds(b'["\\\\", ' + b"[" * 70 + b"]" * 70 + b"]", 64)


async def test_a_lone_surrogate_in_a_name_is_422_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/people",
        content=b'{"given_name": "Ann\\ud800e"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "given_name"]


async def test_a_properly_paired_surrogate_escape_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/people",
        content=b'{"given_name": "Ann \\ud83d\\ude00"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Ann \U0001f600"


def test_the_surrogate_path_reaches_into_lists_and_keys() -> None:
    assert lone_surrogate_path(b'{"a": [1, {"b": "\\udc00"}]}') == ["a", 1, "b"]
    assert lone_surrogate_path(b'{"a": "fine"}') is None


async def test_a_recursion_error_in_a_route_is_422_not_500(client: httpx.AsyncClient) -> None:
    response = await client.post("/recurse", content=b"{}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
