"""Carer self-service on the real broker and both databases: what the pages publish, and every
security rule (expiry, single use, lockout, no existence leak, CSRF, rate limit, cookies)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.registry.bootstrap import Registry
from services.registry.selfservice.domain.signin import SlidingWindow
from services.registry.selfservice.entrypoints.web import SESSION_COOKIE
from services.registry.selfservice.service_layer import use_cases as cases
from shared import topics
from shared.clock import VirtualClock
from shared.events import CloudEvent
from tests.harness import eventually, produce
from tests.integration.registry.selfservice_support import (
    DOB,
    ask_for_code,
    browser,
    challenge_of,
    code_for,
    csrf_of,
    enter_code,
    post_form,
    tell_us,
)
from tests.integration.registry.support import carers, of_type

pytestmark = pytest.mark.kafka


async def registered(registry: Registry, reference: str) -> str:
    """The carer id the reference became, once the registry has processed it."""

    async def linked() -> str:
        async with registry.unit_of_work() as uow:
            return await cases.repository(uow).carer_for_reference(reference) or ""

    return await eventually(linked)


async def signed_in(registry: Registry, client: httpx.AsyncClient, reference: str) -> None:
    assert (await ask_for_code(client, reference)).status_code == 303
    answer = await enter_code(client, code_for(registry, challenge_of(client)))
    assert answer.status_code == 303 and answer.headers["location"].endswith("/your-support")


async def test_telling_us_publishes_a_self_identification_that_becomes_a_record(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
    assert re.fullmatch(r"CC-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)
    carer_id = await registered(registry, reference)

    (sent,) = await of_type(kafka_bootstrap, namespace, topics.INBOUND, "carer.identified")
    assert sent["source"] == cases.SELF_SOURCE and sent["subject"] == reference
    assert sent["data"]["identified_by"]["kind"] == "self"
    assert sent["data"]["person"]["family_name"] == "Ó Briain"
    assert sent["data"]["consent"]["share_with"] == ["council", "vasl"]
    (carer,) = await carers(registry)
    assert carer.carer_id == carer_id and [s.kind for s in carer.sources] == ["self"]
    assert carer.stories[0]["text"] == "My husband has MS. Evenings are hard."


async def test_a_code_request_publishes_a_challenge_but_never_the_code(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        carer_id = await registered(registry, reference)
        assert (await ask_for_code(client, reference)).status_code == 303
        challenge = challenge_of(client)

    async def requested() -> list[dict]:
        return await of_type(
            kafka_bootstrap, namespace, topics.SELFSERVICE, "selfservice.code_requested"
        )

    (event,) = await eventually(requested)
    assert event["data"]["carer_id"] == carer_id and event["data"]["channel"] == "email"
    assert event["data"]["recipient"] == "dilys@example.org"
    assert event["data"]["challenge_id"] == challenge
    assert code_for(registry, challenge) not in str(event), "the code itself never travels"
    async with registry.runtime.sessions() as session:
        from services.registry.selfservice.adapters.orm import ChallengeRow

        row = await session.get(ChallengeRow, challenge)
    assert row is not None and row.code_hash and code_for(registry, challenge) not in row.code_hash


async def test_the_answer_is_the_same_whether_or_not_the_details_match_anyone(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        await registered(registry, reference)
        answers = {}
        for name, identifier, dob in (
            ("real", reference, DOB),
            ("wrong birthday", reference, {**DOB, "dob-year": "1972"}),
            ("no such reference", "CC-ZZZZ-ZZZZ", DOB),
            ("no such NHS number", "943 476 5919", DOB),
        ):
            answer = await ask_for_code(client, identifier, dob)
            code_page = await client.get(answer.headers["location"])
            answers[name] = (
                answer.status_code,
                answer.headers["location"],
                tuple(sorted(answer.cookies.keys())),
                re.sub(r'value="[^"]+"', "", code_page.text),
            )
    assert len(set(answers.values())) == 1, "nothing tells a stranger whether they exist"

    async def requested() -> list[dict]:
        return await of_type(
            kafka_bootstrap, namespace, topics.SELFSERVICE, "selfservice.code_requested"
        )

    await eventually(requested)
    await asyncio.sleep(1)  # the relay has had time to publish anything else queued
    assert len(await requested()) == 1, "a code is sent only for the real carer"


async def test_a_code_works_once(registry: Registry) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        await registered(registry, reference)
        await ask_for_code(client, reference)
        challenge = challenge_of(client)
        code = code_for(registry, challenge)
        assert (await enter_code(client, code)).status_code == 303
        assert SESSION_COOKIE in {c.name for c in client.cookies.jar}
        page = await client.get("/self-service/your-support")
        assert "Dilys" in page.text and "You told us yourself" in page.text
    async with registry.unit_of_work() as uow:
        carer_id = await cases.repository(uow).carer_for_reference(reference)
        audited = await uow.carers.audit_entries(carer_id or "")
    assert [(a.action, a.role, a.outcome) for a in audited] == [
        ("selfservice_sign_in", "carer", "allowed"),
        ("selfservice_read", "carer", "allowed"),
    ], "the carer's own reads are audited like staff's"

    async with browser(registry) as thief:
        thief.cookies.set("carers_selfservice_challenge", challenge)
        again = await enter_code(thief, code)
    assert again.status_code == 410 and "already been used" in again.text
    assert SESSION_COOKIE not in {c.name for c in thief.cookies.jar}


async def test_a_code_expires_after_ten_minutes(registry: Registry) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        await registered(registry, reference)
        await ask_for_code(client, reference)
        code = code_for(registry, challenge_of(client))
        registry.app.state.clock = VirtualClock(
            datetime.now(UTC) + timedelta(minutes=10, seconds=1)
        )
        late = await enter_code(client, code)
    assert late.status_code == 410 and "expired" in late.text
    assert SESSION_COOKIE not in {c.name for c in client.cookies.jar}


async def test_five_wrong_codes_lock_the_reference_for_an_hour(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    registry.app.state.selfservice.signin_limiter = SlidingWindow(limit=100, seconds=600)
    async with browser(registry) as client:
        reference = await tell_us(client)
        await registered(registry, reference)
        await ask_for_code(client, reference)
        right = code_for(registry, challenge_of(client))
        wrong = str((int(right) + 1) % 10**6).zfill(6)
        statuses = [(await enter_code(client, wrong)).status_code for _ in range(5)]
        assert statuses == [422, 422, 422, 422, 423]
        assert (await enter_code(client, right)).status_code == 423, "even the right code"

        # A new code cannot be had for a locked reference: nothing is sent, the page is the same.
        assert (await ask_for_code(client, reference.lower())).status_code == 303
        refused = await enter_code(client, code_for(registry, challenge_of(client)))
        assert refused.status_code == 423

        registry.app.state.clock = VirtualClock(datetime.now(UTC) + timedelta(minutes=61))
        await ask_for_code(client, reference)
        later = await enter_code(client, code_for(registry, challenge_of(client)))
    assert later.status_code == 303, "the lock lifts after the hour"

    async def code_requests() -> list[dict[str, Any]] | None:
        found = await of_type(
            kafka_bootstrap, namespace, topics.SELFSERVICE, "selfservice.code_requested"
        )
        return found if len(found) >= 2 else None  # the relay publishes after the commit

    # The locked request came before the last one: had it been sent, it would be here too.
    requests = await eventually(code_requests)
    assert len(requests) == 2, "no code was sent while the reference was locked"


async def test_wrong_codes_lock_a_reference_nobody_has_in_the_same_way(registry: Registry) -> None:
    async with browser(registry) as client:
        await ask_for_code(client, "CC-ZZZZ-ZZZZ")
        statuses = [(await enter_code(client, "123456")).status_code for _ in range(6)]
    assert statuses == [422, 422, 422, 422, 423, 423]


async def test_every_form_needs_its_csrf_token(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        await registered(registry, reference)
        await signed_in(registry, client, reference)
        await client.get("/self-service/tell-us")  # the browser has its CSRF cookie
        for path, data in (
            ("/self-service/tell-us", {"given-name": "X"}),
            ("/self-service/check", {"identifier": reference, **DOB}),
            ("/self-service/check/code", {"code": "123456"}),
            ("/self-service/your-support/consent", {"share": "gp", "contact": "no"}),
            ("/self-service/your-support/contact", {"channel": "email"}),
            ("/self-service/your-support/erase", {"confirm": "yes"}),
            ("/self-service/easy-read/your-support/erase", {"confirm": "yes"}),
            ("/self-service/sign-out", {}),
        ):
            for token in (None, "forged"):
                sent = data if token is None else {**data, "csrf_token": token}
                answer = await client.post(path, data=sent)
                assert answer.status_code == 403, (path, token)
    inbound = await of_type(kafka_bootstrap, namespace, topics.INBOUND, "carer.identified")
    assert len(inbound) == 1
    for event_type in ("consent.updated", "carer.erasure_requested"):
        assert await of_type(kafka_bootstrap, namespace, topics.INBOUND, event_type) == []


async def test_changing_consent_and_asking_for_erasure_publish_the_contract_events(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        carer_id = await registered(registry, reference)
        await signed_in(registry, client, reference)
        changed = await post_form(client, "/self-service/your-support",
                                  {"share": ["gp", "vasl"], "contact": "yes"},
                                  "/self-service/your-support/consent")  # fmt: skip
        assert changed.status_code == 303

        async def consent_now() -> list[str] | None:
            (carer,) = await carers(registry)
            share = carer.consent["share_with"]
            return share if share == ["gp", "vasl"] else None

        await eventually(consent_now)
        page = await client.get("/self-service/your-support")
        assert re.search(r"Share with your GP practice</dt>\s*<dd[^>]*>Yes", page.text)

        unconfirmed = await post_form(client, "/self-service/your-support/erase", {})
        assert unconfirmed.status_code == 422
        erased = await post_form(client, "/self-service/your-support/erase", {"confirm": "yes"})
        assert erased.status_code == 200 and "erasing your details" in erased.text
        after = await client.get("/self-service/your-support")
        assert after.status_code == 303, "the session ends with the erasure request"

    (consent,) = await of_type(kafka_bootstrap, namespace, topics.INBOUND, "consent.updated")
    assert consent["source"] == cases.SELF_SOURCE
    assert consent["data"] == {**consent["data"], "carer_id": carer_id,
                               "share_with": ["gp", "vasl"], "contact": True}  # fmt: skip

    async def gone() -> bool:
        return await carers(registry) == []

    await eventually(gone)  # so the erasure request has been published and handled
    (erasure,) = await of_type(
        kafka_bootstrap, namespace, topics.INBOUND, "carer.erasure_requested"
    )
    assert erasure["data"]["carer_id"] == carer_id
    (erased_event,) = await eventually(
        lambda: of_type(kafka_bootstrap, namespace, topics.REGISTRY, "carer.erased")
    )
    assert erased_event["data"]["carer_id"] == carer_id
    async with registry.unit_of_work() as uow:
        assert await cases.repository(uow).carer_for_reference(reference) is None


async def test_sign_in_attempts_are_rate_limited_per_client(registry: Registry) -> None:
    registry.app.state.selfservice.signin_limiter = SlidingWindow(limit=3, seconds=600)
    async with browser(registry) as client:
        statuses = [(await ask_for_code(client, "CC-ZZZZ-ZZZZ")).status_code for _ in range(4)]
        assert statuses == [303, 303, 303, 429]
        refused = await ask_for_code(client, "CC-ZZZZ-ZZZZ")
        assert int(refused.headers["retry-after"]) > 0
    transport = httpx.ASGITransport(app=registry.app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://registry") as other:
        assert (await ask_for_code(other, "CC-ZZZZ-ZZZZ")).status_code == 303


async def test_cookies_are_secure_http_only_and_same_site(registry: Registry) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        await registered(registry, reference)
        started = await ask_for_code(client, reference)
        signed = await enter_code(client, code_for(registry, challenge_of(client)))
    for answer, name in ((started, "carers_selfservice_challenge"), (signed, SESSION_COOKIE)):
        (header,) = [h for h in answer.headers.get_list("set-cookie") if h.startswith(name + "=")]
        lowered = header.lower()
        assert "secure" in lowered and "httponly" in lowered and "samesite=strict" in lowered
        assert "path=/self-service" in lowered


async def test_a_forged_or_expired_session_is_not_accepted(registry: Registry) -> None:
    async with browser(registry) as client:
        reference = await tell_us(client)
        await registered(registry, reference)
        await signed_in(registry, client, reference)
        cookie = client.cookies.get(SESSION_COOKIE, path="/self-service")
        assert cookie
        assert (await client.get("/self-service/your-support")).status_code == 200
        payload, _, signature = cookie.partition(".")
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, f"{payload}.{'0' * len(signature)}")
        assert (await client.get("/self-service/your-support")).status_code == 303
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, cookie)
        assert (await client.get("/self-service/your-support")).status_code == 200
        registry.app.state.clock = VirtualClock(datetime.now(UTC) + timedelta(hours=1))
        assert (await client.get("/self-service/your-support")).status_code == 303


async def test_pages_render_in_standard_and_easy_read(registry: Registry) -> None:
    async with browser(registry) as client:
        for path in ("", "/tell-us", "/check"):
            plain = await client.get(f"/self-service{path}")
            easy = await client.get(f"/self-service/easy-read{path}")
            assert plain.status_code == easy.status_code == 200
            assert "carers-easy-read" in easy.text and "carers-easy-read" not in plain.text
            for page in (plain, easy):
                assert "0116 496 0000" in page.text and "Monday to Friday" in page.text
                assert "County Hall" in page.text and csrf_of(page.text) if path else True


async def test_the_carer_sees_every_referral_with_its_due_date_even_once_closed(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    """The status snapshot keeps only open referrals and no dates; the support page keeps all."""
    async with browser(registry) as client:
        reference = await tell_us(client)
        carer_id = await registered(registry, reference)
        await signed_in(registry, client, reference)

        def referral(event_type: str, referral_id: str, service: str, status: str) -> bytes:
            body: dict[str, Any] = {
                "referral_id": referral_id,
                "carer_id": carer_id,
                "service": service,
                "status": status,
                "due_by": "2026-12-04",
            }
            if status == "completed":
                body["outcome"] = {"type": "signposted", "to": "a carers' group"}
            return CloudEvent.new(event_type, "urn:carers:referrals", carer_id, body).to_bytes()

        await produce(
            kafka_bootstrap,
            namespace + topics.REFERRALS,
            [
                referral("referral.created", "r-vasl", "vasl", "requested"),
                referral("referral.created", "r-ca", "carers_assessment", "requested"),
                referral("referral.accepted", "r-vasl", "vasl", "accepted"),
                referral("referral.completed", "r-vasl", "vasl", "completed"),
            ],
            carer_id.encode(),
        )

        async def page() -> str | None:
            text = (await client.get("/self-service/your-support")).text
            return text if "Finished" in text else None

        shown = await eventually(page)
    assert "Waiting to be accepted" in shown and "by Friday 4 December 2026" in shown
    assert "They put you in touch with other support that can help." in shown
    (carer,) = await carers(registry)
    assert [r["referral_id"] for r in carer.open_referrals] == ["r-ca"], "snapshot: open only"
