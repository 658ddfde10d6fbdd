"""Trust (issue 13, contract 6.1-6.3) on the real broker and both databases.

Each test plays an observation from issue 13 that worked on the old main:
- the takeover: "Tell us you are a carer" with a known carer's NHS number and an attacker's
  email replaced the email and consent, and "Check your support" sent the code to the attacker;
- VASL granted itself access with ``share_with: [vasl]``; a consent recorded in 2099;
- a hospital token stored ``identified_by.kind = council`` with another organisation's code;
  a GP token stored a CloudEvent from ``urn:carers:selfservice``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from services.registry.bootstrap import Registry
from services.registry.domain.model import Carer
from services.registry.selfservice.service_layer import use_cases as cases
from shared import topics
from shared.events import CloudEvent
from tests.harness import events_on, eventually
from tests.integration.registry.selfservice_support import (
    browser,
    challenge_of,
    code_for,
    csrf_of,
    enter_code,
    post_form,
    tell_us,
)
from tests.integration.registry.support import body, carers, event, of_type, send

pytestmark = pytest.mark.kafka
SIAN_NHS = "9434765919"
SIAN_DOB = {"dob-day": "12", "dob-month": "4", "dob-year": "1968"}
Token = Callable[..., dict[str, str]]


async def sian(registry: Registry, check: Callable[[Carer], bool] = lambda c: True) -> Carer:
    async def found() -> Carer | None:
        for carer in await carers(registry):
            if carer.nhs_number == SIAN_NHS and check(carer):
                return carer
        return None

    return await eventually(found)


async def identified_by_gp(
    registry: Registry, api: httpx.AsyncClient, token: Token, share_with: list[str]
) -> Carer:
    data = body(consent={"share_with": share_with, "contact": True})
    answer = await api.post("/identifications", json=data, headers=token("gp", "C82001"))
    assert answer.status_code == 202, answer.text
    return await sian(registry)


async def claims(api: httpx.AsyncClient, token: Token, expected: int) -> list[dict[str, Any]]:
    async def listed() -> list[dict[str, Any]] | None:
        answer = await api.get("/claims", headers=token("council", "LCC"))
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found if len(found) == expected else None

    return await eventually(listed)


async def dead_letters(kafka_bootstrap: str, namespace: str, expected: int) -> list[str]:
    async def letters() -> list[str] | None:
        found = await events_on(kafka_bootstrap, namespace + topics.DEADLETTER)
        reasons = [str(letter["reason"]) for letter in found]
        return reasons if len(reasons) >= expected else None

    return await eventually(letters)


async def test_telling_us_with_a_known_nhs_number_takes_nothing_over(
    registry: Registry, registry_http: httpx.AsyncClient, token: Token
) -> None:
    held = await identified_by_gp(registry, registry_http, token, ["gp"])
    async with browser(registry) as attacker:
        reference = await tell_us(
            attacker,
            **{"nhs-number": SIAN_NHS, "email": "attacker@example.net", "given-name": "Mallory"},
            **SIAN_DOB,
        )
    [claim] = await claims(registry_http, token, 1)
    assert claim["kind"] == "identification" and claim["carer_id"] == held.carer_id
    assert "person.email" in claim["changes"]
    assert "attacker@example.net" not in str(claim)  # staff see what changes, not values
    carer = await sian(registry)
    assert (carer.email, carer.given_name) == ("sian@example.org", "Siân")
    assert carer.consent["share_with"] == ["gp"] and carer.version == held.version

    # The reference names the record, so a code can be asked for: it goes to Siân's own email.
    assert await eventually(lambda: linked(registry, reference)) == held.carer_id
    async with browser(registry) as attacker:
        await post_form(attacker, "/self-service/check", {"identifier": reference, **SIAN_DOB})
    requests = await eventually(
        lambda: of_type_in(registry, topics.SELFSERVICE, "selfservice.code_requested")
    )
    assert [r["data"]["recipient"] for r in requests] == ["sian@example.org"]

    # Siân signs in (her code comes to her) and says it was not her: nothing ever changes.
    async with browser(registry) as siân:
        await post_form(siân, "/self-service/check", {"identifier": SIAN_NHS, **SIAN_DOB})
        await enter_code_as(siân, registry, challenge_of(siân))
        page = await siân.get("/self-service/your-support/claims")
        assert "attacker@example.net" in page.text
        answer = await siân.post(
            "/self-service/your-support/claims",
            data={
                "claim": claim["claim_id"],
                "decision": "reject",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert answer.status_code == 303
    listed = await registry_http.get("/claims", headers=token("council", "LCC"))
    assert listed.json() == []
    assert (await sian(registry)).email == "sian@example.org"


async def of_type_in(registry: Registry, topic: str, event_type: str) -> list[dict[str, Any]]:
    settings = registry.settings
    return await of_type(
        settings.kafka_bootstrap_servers, settings.kafka_topic_namespace, topic, event_type
    )


async def enter_code_as(client: httpx.AsyncClient, registry: Registry, challenge: str) -> None:
    answer = await enter_code(client, code_for(registry, challenge))
    assert answer.status_code == 303 and answer.headers["location"].endswith("/your-support")


async def test_the_carer_signed_in_confirms_their_own_claim(
    registry: Registry, registry_http: httpx.AsyncClient, token: Token
) -> None:
    held = await identified_by_gp(registry, registry_http, token, ["gp"])
    async with browser(registry) as siân:
        reference = await tell_us(
            siân,
            **{"nhs-number": SIAN_NHS, "email": "sian.new@example.org", "share": ["gp", "vasl"]},
            **SIAN_DOB,
        )
        await claims(registry_http, token, 1)
        await eventually(lambda: linked(registry, reference))
        await post_form(siân, "/self-service/check", {"identifier": reference, **SIAN_DOB})
        await enter_code_as(siân, registry, challenge_of(siân))
        support = await siân.get("/self-service/your-support")
        assert 'id="claims-waiting"' in support.text and "/your-support/claims" in support.text
        page = await siân.get("/self-service/your-support/claims")
        claim_id = page.text.split('name="claim" value="', 1)[1].split('"', 1)[0]
        answer = await siân.post(
            "/self-service/your-support/claims",
            data={"claim": claim_id, "decision": "confirm", "csrf_token": csrf_of(page.text)},
        )
        assert answer.status_code == 303
    carer = await sian(registry, lambda c: c.version > held.version)
    assert carer.email == "sian.new@example.org"
    assert carer.consent["share_with"] == ["gp", "vasl"]
    assert carer.consent_history[-1]["recorded_by"]["kind"] == "self"
    widened = await eventually(lambda: of_type_in(registry, topics.REGISTRY, "consent.widened"))
    assert widened[0]["data"]["added_share_with"] == ["vasl"]


async def linked(registry: Registry, reference: str) -> str | None:
    async with registry.unit_of_work() as uow:
        return await cases.repository(uow).carer_for_reference(reference)


async def test_a_partner_cannot_grant_itself_access_until_an_officer_verifies(
    registry: Registry, registry_http: httpx.AsyncClient, token: Token
) -> None:
    held = await identified_by_gp(registry, registry_http, token, ["gp"])
    vasl = token("vasl", "VASL1")
    grab = body(
        identified_by={"kind": "vasl", "org_code": "VASL1"},
        consent={"share_with": ["gp", "vasl"], "contact": True},
    )
    assert (
        await registry_http.post("/identifications", json=grab, headers=vasl)
    ).status_code == 202
    [claim] = await claims(registry_http, token, 1)
    assert claim["kind"] == "consent" and claim["changes"] == ["consent.share_with+vasl"]
    carer = await sian(registry, lambda c: c.version > held.version)
    assert carer.consent["share_with"] == ["gp"]
    assert (await registry_http.get(f"/carers/{held.carer_id}", headers=vasl)).status_code != 200

    verified = await registry_http.post(
        f"/claims/{claim['claim_id']}/verify", headers=token("council", "LCC")
    )
    assert verified.status_code == 200, verified.text
    again = await registry_http.post(
        f"/claims/{claim['claim_id']}/verify", headers=token("council", "LCC")
    )
    assert again.status_code == 409
    assert (await registry_http.get(f"/carers/{held.carer_id}", headers=vasl)).status_code == 200
    widened = await eventually(lambda: of_type_in(registry, topics.REGISTRY, "consent.widened"))
    assert widened[0]["data"]["recorded_by"]["kind"] == "council"
    assert widened[0]["data"]["added_share_with"] == ["vasl"]


async def test_a_consent_recorded_in_the_future_is_refused_over_http_and_kafka(
    registry: Registry,
    registry_http: httpx.AsyncClient,
    token: Token,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    future = body(
        consent={"share_with": ["gp"], "contact": True, "recorded_at": "2099-01-01T00:00:00Z"}
    )
    answer = await registry_http.post(
        "/identifications", json=future, headers=token("gp", "C82001")
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["consent", "recorded_at"]
    await send(kafka_bootstrap, namespace, (event("carer.identified", future), SIAN_NHS))
    reasons = await dead_letters(kafka_bootstrap, namespace, 1)
    assert reasons[0].startswith("data.consent.recorded_at: is in the future")
    assert await carers(registry) == []


async def test_provenance_comes_from_the_token_over_http(
    registry: Registry, registry_http: httpx.AsyncClient, token: Token
) -> None:
    hospital = token("hospital", "RWE")
    as_council = body(identified_by={"kind": "council", "org_code": "RWE"})
    refused = await registry_http.post("/identifications", json=as_council, headers=hospital)
    assert refused.status_code == 403 and refused.json()["detail"].startswith("identified_by.kind")
    other_org = body(identified_by={"kind": "hospital", "org_code": "LCC"})
    refused = await registry_http.post("/identifications", json=other_org, headers=hospital)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("identified_by.org_code")

    spoofed = CloudEvent.new(
        "carer.identified", "urn:carers:selfservice", SIAN_NHS, body(identified_by={"kind": "self"})
    ).model_dump(mode="json")
    refused = await registry_http.post(
        "/identifications", json=spoofed, headers=token("gp", "C82001")
    )
    assert refused.status_code == 403 and refused.json()["detail"].startswith("source")

    silent = body(identified_by=None)
    accepted = await registry_http.post("/identifications", json=silent, headers=hospital)
    assert accepted.status_code == 202
    carer = await sian(registry)
    assert [(s.kind, s.org_code) for s in carer.sources] == [("hospital", "RWE")]


async def test_kafka_events_speaking_for_the_carer_unattested_are_dead_lettered(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    as_self = event(
        "carer.identified", body(identified_by={"kind": "self"}), source="urn:carers:selfservice"
    )
    self_kind = event("carer.identified", body(identified_by={"kind": "self"}))
    wrong_org = event("carer.identified", body(identified_by={"kind": "gp", "org_code": "Y00001"}))
    platform = event(
        "consent.updated",
        {"nhs_number": SIAN_NHS, "share_with": [], "contact": False},
        source="urn:carers:registry",
    )
    await send(
        kafka_bootstrap,
        namespace,
        *((e, SIAN_NHS) for e in (as_self, self_kind, wrong_org, platform)),
    )
    reasons = sorted(await dead_letters(kafka_bootstrap, namespace, 4))
    assert [r.split(":", 1)[0] for r in reasons] == [
        "carersattestation",
        "carersattestation",
        "data.identified_by.org_code",
        "source",
    ]
    assert not any(SIAN_NHS in r or "Y00001" in r for r in reasons)
    assert await carers(registry) == []


async def test_erasure_removes_the_claims_held_about_the_carer(
    registry: Registry,
    registry_http: httpx.AsyncClient,
    token: Token,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    held = await identified_by_gp(registry, registry_http, token, ["gp"])
    grab = body(
        identified_by={"kind": "vasl", "org_code": "VASL1"},
        consent={"share_with": ["gp", "vasl"], "contact": True},
    )
    vasl = token("vasl", "VASL1")
    assert (
        await registry_http.post("/identifications", json=grab, headers=vasl)
    ).status_code == 202
    await claims(registry_http, token, 1)
    erase = {"carer_id": held.carer_id, "reason": "asked"}
    await send(kafka_bootstrap, namespace, (event("carer.erasure_requested", erase), held.carer_id))
    await eventually(lambda: of_type_in(registry, topics.REGISTRY, "carer.erased"))
    listed = await registry_http.get("/claims", headers=token("council", "LCC"))
    assert listed.json() == []
