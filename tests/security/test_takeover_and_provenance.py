"""Attacks on what we hold about a carer (issue 13, items 2-4), played against the four
services running as processes: taking over a record with its NHS number, a partner granting
itself access, pinning consent with a date in 2099, and spoofing who said something over
HTTP, FHIR and Kafka."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from shared import topics
from shared.events import CloudEvent
from tests.security.conftest import Stack, example_identification, refused

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
DOB = {"dob-day": "12", "dob-month": "4", "dob-year": "1968"}  # the example carer's
TELL_US = {
    "filling-for": "me", "given-name": "Mallory", "family-name": "Example",
    "postcode": "LE1 6ZG", "cared-1-relationship": "parent", "cared-1-needs": ["dementia"],
    "cared-1-lives": "no", "support": ["vasl_support"], "share": ["council", "vasl"],
    "contact": "yes", "channel": "email", "story": "It is me, honestly.",
}  # fmt: skip


def _identify(stack: Stack, nhs_number: str, share_with: list[str]) -> dict[str, Any]:
    """An honest GP identifies a carer; the record as the data controller sees it."""
    body = example_identification(nhs_number=nhs_number, email=f"{nhs_number}@example.org")
    body["consent"] = {"share_with": share_with, "contact": True}
    body["preferences"] = {"contact_channels": ["email"], "easy_read": False, "language": "en"}
    with stack.client("registry", headers=stack.headers("gp", "C82001")) as gp:
        answer = gp.post("/identifications", json=body)
        assert answer.status_code == 202, answer.text
    return _record(stack, nhs_number)


def _record(stack: Stack, nhs_number: str, check: Any = lambda carer: True) -> dict[str, Any]:
    with stack.client("registry", headers=stack.headers("admin", "ADMIN")) as admin:

        def found() -> Any:
            response = admin.get("/carers", params={"nhs_number": nhs_number})
            return (
                response.json() if response.status_code == 200 and check(response.json()) else None
            )

        return stack.wait_for(found)  # type: ignore[no-any-return]


def _claims(stack: Stack, carer_id: str) -> list[dict[str, Any]]:
    with stack.client("registry", headers=stack.headers("council", "LCC")) as council:
        answer = council.get("/claims", params={"carer_id": carer_id})
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]


def _post_form(browser: Any, path: str, form: dict[str, Any]) -> Any:
    page = browser.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    # The cookies may be Secure and this stack is plain HTTP on loopback: send them back as a
    # browser on HTTPS would.
    jar = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
    return browser.post(path, data={**form, "csrf_token": token.group(1)}, headers={"Cookie": jar})


def _dead_letter(stack: Stack, key: str) -> str:
    def found() -> str | None:
        for letter in stack.events(topics.DEADLETTER):
            if letter.get("key") == key:
                return str(letter["reason"])
        return None

    return stack.wait_for(found)  # type: ignore[no-any-return]


def test_telling_us_with_a_known_nhs_number_does_not_take_over_the_record(stack: Stack) -> None:
    carer = _identify(stack, "9434765951", ["gp"])
    attacker_email = "mallory@attacker.example"
    with stack.client("registry", follow_redirects=True) as browser:
        told = _post_form(
            browser,
            "/self-service/tell-us",
            {**TELL_US, **DOB, "nhs-number": "9434765951", "email": attacker_email},
        )
        assert told.status_code == 200, told.text[:500]
        reference = re.search(r'id="reference">([^<]+)<', told.text)
        assert reference
        stack.wait_for(lambda: _claims(stack, carer["carer_id"]))
        asked = _post_form(
            browser, "/self-service/check", {"identifier": reference.group(1), **DOB}
        )
        assert asked.status_code == 200
    # The code goes to the channel already on the record, never to the attacker.
    stack.wait_for(lambda: stack.mail(to="9434765951@example.org"))
    assert stack.mail(to=attacker_email) == []
    held = _record(stack, "9434765951")
    assert held["email"] == "9434765951@example.org"
    assert held["consent"]["share_with"] == ["gp"]
    assert held["given_name"] == carer["given_name"]
    refused("taking over a carer's record with their NHS number through 'Tell us you are a carer'")


def test_a_partner_cannot_grant_itself_access_to_a_carer(stack: Stack) -> None:
    carer = _identify(stack, "9434765978", ["gp"])
    vasl = stack.headers("vasl", "VASL1")
    grab = example_identification(nhs_number="9434765978")
    grab["identified_by"] = {"kind": "vasl", "org_code": "VASL1"}
    grab["consent"] = {"share_with": ["gp", "vasl"], "contact": True}
    with stack.client("registry", headers=vasl) as partner:
        assert partner.post("/identifications", json=grab).status_code == 202
        _record(stack, "9434765978", lambda c: any(s["kind"] == "vasl" for s in c["sources"]))
        assert partner.get(f"/carers/{carer['carer_id']}").status_code == 404
    assert _record(stack, "9434765978")["consent"]["share_with"] == ["gp"]
    [claim] = _claims(stack, carer["carer_id"])
    assert claim["changes"] == ["consent.share_with+vasl"]
    refused(
        "VASL identifies a carer with share_with [vasl] to read a record shared with the GP only"
    )


def test_a_consent_recorded_in_2099_cannot_pin_the_record(stack: Stack) -> None:
    body = example_identification(nhs_number="9434765986")
    body["consent"] = {"share_with": ["gp"], "contact": True, "recorded_at": "2099-01-01T00:00:00Z"}
    with stack.client("registry", headers=stack.headers("gp", "C82001")) as gp:
        answer = gp.post("/identifications", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["consent", "recorded_at"]
    body["identified_by"] = {"kind": "gp", "org_code": "C82001"}
    event = CloudEvent.new("carer.identified", "ods:C82001", "9434765986", body)
    stack.produce(topics.INBOUND, [event.to_bytes()], b"pin-2099")
    assert _dead_letter(stack, "pin-2099").startswith("data.consent.recorded_at: is in the future")
    refused(
        "a consent recorded_at in 2099 to pin the record against later changes (HTTP and Kafka)"
    )


def test_a_hospital_cannot_say_it_is_the_council_or_another_organisation(stack: Stack) -> None:
    hospital = stack.headers("hospital", "RWE")
    as_council = example_identification(nhs_number="9434765994")
    as_council["identified_by"] = {"kind": "council", "org_code": "LCC"}
    as_other = {**as_council, "identified_by": {"kind": "hospital", "org_code": "RX1"}}
    with stack.client("registry", headers=hospital) as partner:
        kind = partner.post("/identifications", json=as_council)
        org = partner.post("/identifications", json=as_other)
    assert kind.status_code == 403 and kind.json()["detail"].startswith("identified_by.kind")
    assert org.status_code == 403 and org.json()["detail"].startswith("identified_by.org_code")
    refused("a hospital token posting identified_by.kind council / another organisation's code")


def test_a_gp_cannot_post_a_cloudevent_as_the_carer_themselves(stack: Stack) -> None:
    data = example_identification(nhs_number="9434765994")
    data["identified_by"] = {"kind": "self"}
    event = CloudEvent.new("carer.identified", "urn:carers:selfservice", "9434765994", data)
    with stack.client("registry", headers=stack.headers("gp", "C82001")) as gp:
        answer = gp.post("/identifications", json=event.model_dump(mode="json"))
    assert answer.status_code == 403 and answer.json()["detail"].startswith("source")
    refused("a GP token posting a CloudEvent with source urn:carers:selfservice")


def test_fhir_provenance_is_the_token_not_the_message(stack: Stack) -> None:
    bundle = json.loads((EXAMPLES / "fhir-carer-identified.json").read_text())
    forged = copy.deepcopy(bundle)
    forged["id"] = "5b0e6f1c-9a1b-4c2d-8e3f-000000000013"
    with stack.client("registry", headers=stack.headers("gp", "C84001")) as other_gp:
        answer = other_gp.post(
            "/fhir/$process-message",
            content=json.dumps(forged),
            headers={"content-type": "application/fhir+json"},
        )
    assert answer.status_code == 403
    assert answer.json()["resourceType"] == "OperationOutcome"
    refused("a GP sending a FHIR message whose sender is another practice")


def test_kafka_writers_cannot_speak_for_the_carer_or_another_organisation(stack: Stack) -> None:
    as_self = example_identification(nhs_number="9434765900")
    as_self["identified_by"] = {"kind": "self"}
    other_org = example_identification(nhs_number="9434765900")
    other_org["identified_by"] = {"kind": "council", "org_code": "LCC"}
    attacks = {
        "kafka-selfservice": CloudEvent.new(
            "carer.identified", "urn:carers:selfservice", "9434765900", as_self
        ),
        "kafka-kind-self": CloudEvent.new("carer.identified", "ods:C82001", "9434765900", as_self),
        "kafka-other-org": CloudEvent.new(
            "carer.identified", "ods:C82001", "9434765900", other_org
        ),
    }
    for key, event in attacks.items():
        stack.produce(topics.INBOUND, [event.to_bytes()], key.encode())
    reasons = {key: _dead_letter(stack, key) for key in attacks}
    assert reasons["kafka-selfservice"].startswith("carersattestation")
    assert reasons["kafka-kind-self"].startswith("carersattestation")
    assert reasons["kafka-other-org"].startswith("data.identified_by.org_code")
    assert not any("9434765900" in reason or "LCC" in reason for reason in reasons.values())
    refused("a Kafka writer sending as urn:carers:selfservice, as kind self, or as another org")
