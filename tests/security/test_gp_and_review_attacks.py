"""Attacks on the GP coding loop and the council's review page (issue 17), played against
the four services running as processes: another practice reading a practice's list, a
practice coding another practice's carer (over Kafka, on its own topic and the shared one,
and over HTTP), and staff other than the council opening the review page."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared import topics
from shared.events import CloudEvent
from tests.security.conftest import Stack, example_identification, refused

PRACTICE, OTHER = "C82001", "C84001"


def _identify_at(stack: Stack, nhs_number: str, practice: str) -> str:
    """The council identifies a carer who names ``practice`` and shares with their GP."""
    body = example_identification(nhs_number=nhs_number, gp_practice_ods=practice)
    body["identified_by"] = {"kind": "council", "org_code": "LCC", "org_name": "The council"}
    body["consent"] = {"share_with": ["gp", "council"], "contact": True}
    with stack.client("registry", headers=stack.headers("council", "LCC")) as council:
        answer = council.post("/identifications", json=body)
        assert answer.status_code == 202, answer.text
    return str(_listed(stack, practice, nhs_number)["carer_id"])


def _list(stack: Stack, org: str, **params: Any) -> dict[str, Any]:
    with stack.client("registry", headers=stack.headers("gp", org)) as gp:
        answer = gp.get("/gp/carers-to-code", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]


def _listed(stack: Stack, practice: str, nhs_number: str) -> dict[str, Any]:
    def found() -> Any:
        items = _list(stack, practice, page_size=100)["items"]
        return next((i for i in items if i["nhs_number"] == nhs_number), None)

    return stack.wait_for(found)  # type: ignore[no-any-return]


def test_another_practice_cannot_read_a_practices_carers_to_code(stack: Stack) -> None:
    carer_id = _identify_at(stack, "9434765870", PRACTICE)
    for params in ({}, {"practice": PRACTICE}, {"practice_ods_code": PRACTICE, "page_size": 100}):
        others = _list(stack, OTHER, **params)
        assert carer_id not in {i["carer_id"] for i in others["items"]}
        assert others["practice_ods_code"] == OTHER
    with stack.client("registry", headers=stack.headers("gp", OTHER)) as other:
        assert other.get(f"/carers/{carer_id}").status_code == 404
        page = other.get("/staff/gp/carers-to-code")
        assert page.status_code == 200 and "9434765870" not in page.text
    with stack.client("registry", headers=stack.headers("council", "LCC")) as council:
        assert council.get("/gp/carers-to-code").status_code == 403
    refused("another practice reads a practice's carers-to-code list")


def _coding(nhs_number: str, practice: str, source: str) -> bytes:
    body = {
        "nhs_number": nhs_number,
        "practice_ods_code": practice,
        "snomed_code": "224484003",
        "coded_at": "2026-03-02T09:00:00Z",
    }
    return CloudEvent.new("gp.carer_coded", source, nhs_number, body).to_bytes()


def _dead_letter_reason(stack: Stack, event_id: str) -> str:
    def found() -> str | None:
        for letter in stack.events(topics.DEADLETTER):
            original = base64.b64decode(letter.get("original") or "").decode(errors="replace")
            if event_id in original:
                return str(letter["reason"])
        return None

    return stack.wait_for(found)  # type: ignore[no-any-return]


def test_a_practice_cannot_code_another_practices_carer(stack: Stack) -> None:
    _identify_at(stack, "9434765919", OTHER)
    # On its own Kafka topic, and on the shared inbound topic, C82001 says C84001 coded them.
    own_topic = _coding("9434765919", OTHER, f"ods:{PRACTICE}")
    stack.produce(topics.partner_inbound("gp", PRACTICE), [own_topic], b"9434765919")
    shared = _coding("9434765919", OTHER, f"ods:{PRACTICE}")
    stack.produce(topics.INBOUND, [shared], b"9434765919")
    for raw in (own_topic, shared):
        reason = _dead_letter_reason(stack, json.loads(raw)["id"])
        assert reason.startswith("data.practice_ods_code:"), reason
    # Over HTTP there is no way to send a coding at all.
    with stack.client("registry", headers=stack.headers("gp", PRACTICE)) as gp:
        as_identification = gp.post(
            "/identifications",
            content=_coding("9434765919", OTHER, f"ods:{PRACTICE}"),
            headers={"Content-Type": "application/cloudevents+json"},
        )
        assert 400 <= as_identification.status_code < 500
    # The carer is still on C84001's list: nobody closed it in C84001's name.
    assert _listed(stack, OTHER, "9434765919")
    refused("a practice codes another practice's carer (own topic, shared topic, HTTP)")


def test_only_council_officers_open_the_review_page(stack: Stack) -> None:
    with stack.client("registry") as anonymous:
        answer = anonymous.get("/staff/reviews")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/staff/sign-in")
    for role, org in (("gp", PRACTICE), ("vasl", "VASL"), ("hospital", "RWE"), ("admin", "OPS")):
        with stack.client("registry", headers=stack.headers(role, org)) as staff:
            page = staff.get("/staff/reviews")
            assert page.status_code == 403, (role, page.status_code)
            assert "You cannot see this page" in page.text
            decided = staff.post(
                "/staff/reviews/any", data={"decision": "keep_apart", "reason": "mine now"}
            )
            assert decided.status_code == 403, (role, decided.status_code)
    with stack.client("registry", headers=stack.headers("gp", PRACTICE)) as gp:
        assert gp.get("/reviews").status_code == 403
    refused("staff other than the council open or post the duplicate review page")
