"""Attacks on reads and secrets (issue 13, items 5 and 6), played against the four services
running as processes: a GP reading another practice's carer, probing NHS numbers to learn
who is a registered carer, staff reading a carer's one-time sign-in code, and a partner
still reading a carer's story after consent to it was withdrawn."""

from __future__ import annotations

import re
from typing import Any

import httpx

from shared import topics
from shared.events import CloudEvent
from tests.security.conftest import Stack, example_identification, refused

DOB = {"dob-day": "12", "dob-month": "4", "dob-year": "1968"}  # the example carer's


def _identify(stack: Stack, org: str, nhs_number: str, **changes: Any) -> dict[str, Any]:
    """An honest GP at ``org`` identifies a carer; the record as the data controller sees it."""
    body = example_identification(nhs_number=nhs_number, email=f"{nhs_number}@example.org")
    body["identified_by"] = {"kind": "gp", "org_code": org, "org_name": "Example Surgery"}
    body.update(changes)
    with stack.client("registry", headers=stack.headers("gp", org)) as registry:
        answer = registry.post("/identifications", json=body)
        assert answer.status_code == 202, answer.text
    with stack.client("registry", headers=stack.headers("admin", "ADMIN")) as admin:

        def found() -> Any:
            response = admin.get("/carers", params={"nhs_number": nhs_number})
            return response.json() if response.status_code == 200 else None

        return stack.wait_for(found)  # type: ignore[no-any-return]


def test_a_gp_cannot_read_a_carer_another_practice_identified(stack: Stack) -> None:
    carer = _identify(
        stack, "C82001", "9434765919", consent={"share_with": ["gp"], "contact": True}
    )
    with stack.client("registry", headers=stack.headers("gp", "C84001")) as other:
        by_id = other.get(f"/carers/{carer['carer_id']}")
        by_number = other.get("/carers", params={"nhs_number": "9434765919"})
        nobody = other.get("/carers/00000000-0000-0000-0000-000000000000")
    assert by_id.status_code == by_number.status_code == nobody.status_code == 404
    assert by_id.json() == by_number.json() == nobody.json()
    with stack.client("registry", headers=stack.headers("gp", "C82001")) as own:
        assert own.get(f"/carers/{carer['carer_id']}").status_code == 200, "honest GP reads"
    refused("a GP at another practice reads a carer who consented to share with 'gp'")


def test_probing_nhs_numbers_does_not_tell_who_is_a_registered_carer(stack: Stack) -> None:
    _identify(stack, "C82001", "9434765927", consent={"share_with": ["gp"], "contact": False})
    for role, org in (("council", "LCC"), ("vasl", "VASL"), ("gp", "C84001")):
        with stack.client("registry", headers=stack.headers(role, org)) as prober:
            registered = prober.get("/carers", params={"nhs_number": "9434765927"})
            unknown = prober.get("/carers", params={"nhs_number": "9434765935"})
        assert registered.status_code == unknown.status_code == 404, role
        assert registered.content == unknown.content
        assert registered.headers["content-length"] == unknown.headers["content-length"]
    refused("probing NHS numbers (council, VASL, another GP) to learn who is a carer")


def _ask_for_code(stack: Stack, nhs_number: str) -> None:
    with stack.client("registry", follow_redirects=True) as browser:
        page = browser.get("/self-service/check")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        form = {"identifier": nhs_number, **DOB, "csrf_token": token.group(1)}
        # The cookies may be Secure and this stack is plain HTTP on loopback: send them back
        # as a browser on HTTPS would.
        jar = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
        answer = browser.post("/self-service/check", data=form, headers={"Cookie": jar})
        assert answer.status_code == 200, answer.text[:500]


def test_staff_cannot_read_a_carers_sign_in_code(stack: Stack) -> None:
    email_only = {"contact_channels": ["email"], "easy_read": False, "language": "en"}
    carer = _identify(stack, "C82001", "9434765943", preferences=email_only)
    _ask_for_code(stack, "9434765943")

    def code_mail() -> list[dict[str, Any]]:
        mails = stack.mail(to="9434765943@example.org")
        return [m for m in mails if m["subject"].startswith("Your code")]

    [mail] = stack.wait_for(code_mail)
    code = re.search(r"\b(\d{6})\b", mail["text"])
    assert code, "the carer got their code"

    assert code.group(1) not in mail["subject"]
    refused("reading the sign-in code from the email subject line (lock screens, inbox lists)")

    with stack.client("notifications", headers=stack.headers("council", "LCC")) as council:
        seen = council.get("/notifications", params={"carer_id": carer["carer_id"]})
        sent = council.get("/notifications", params={"status": "sent"})
    assert seen.status_code == sent.status_code == 200
    assert any(n["template_id"] == "signin-code" for n in seen.json())
    assert code.group(1) not in seen.text and code.group(1) not in sent.text
    refused("council staff reading a carer's live sign-in code through GET /notifications")

    for service in ("notifications", "registry"):
        assert code.group(1) not in stack.log(service), service
    refused("reading a sign-in code from the services' logs")


def _vasl_referrals(vasl: httpx.Client, carer_id: str) -> list[dict[str, Any]]:
    answer = vasl.get("/referrals", params={"carer_id": carer_id})
    return answer.json() if answer.status_code == 200 else []  # type: ignore[no-any-return]


def test_vasl_loses_the_story_and_details_once_consent_to_it_is_withdrawn(stack: Stack) -> None:
    everyone = {"share_with": ["gp", "council", "vasl"], "contact": True}
    carer = _identify(stack, "C82001", "9434765900", consent=everyone)
    with stack.client("referrals", headers=stack.headers("vasl", "VASL")) as vasl:
        [referral] = stack.wait_for(lambda: _vasl_referrals(vasl, carer["carer_id"]))
        assert referral["story"] and referral["carer"]["email"], "VASL had the story"

        narrowed = CloudEvent.new(
            "consent.updated",
            "ods:C82001",
            carer["carer_id"],
            {"carer_id": carer["carer_id"], "share_with": ["gp", "council"], "contact": True},
        )
        stack.produce(topics.INBOUND, [narrowed.to_bytes()], carer["carer_id"].encode())

        def withdrawn() -> Any:
            found = _vasl_referrals(vasl, carer["carer_id"])
            return found if found and found[0]["status"] == "withdrawn" else None

        [after] = stack.wait_for(withdrawn)
        page = vasl.get(f"/referrals/{after['referral_id']}", headers={"Accept": "text/html"})
    assert after["story"] is None and after["carer"] == {} and after["caring_for"] == []
    assert after["details_removed"] == "withdrawn consent: details removed"
    story = example_identification()["story"]
    assert story not in page.text and "9434765900@example.org" not in page.text
    refused("VASL reading a carer's story and contact details after consent to VASL was withdrawn")


def test_consent_widened_by_a_partner_is_never_unseen_by_the_carer(stack: Stack) -> None:
    email_only = {"contact_channels": ["email"], "easy_read": False, "language": "en"}
    quiet = {"share_with": ["gp"], "contact": False}
    carer = _identify(stack, "C82001", "9434765951", preferences=email_only, consent=quiet)
    widening = example_identification(nhs_number="9434765951", email="9434765951@example.org")
    widening |= {
        "identified_by": {"kind": "hospital", "org_code": "RX1", "org_name": "Leicester Royal"},
        "consent": {"share_with": ["gp", "council"], "contact": False},
        "preferences": email_only,
    }
    with stack.client("registry", headers=stack.headers("hospital", "RX1")) as hospital:
        assert hospital.post("/identifications", json=widening).status_code == 202

    def notice() -> list[dict[str, Any]]:
        mails = stack.mail(to="9434765951@example.org")
        return [m for m in mails if m["subject"] == "Who can see your information has changed"]

    [mail] = stack.wait_for(notice)
    assert (
        "You agreed to share your information with Leicestershire County Council." in (mail["text"])
    )
    assert "This was recorded by Leicester Royal on" in mail["text"]
    assert "If this is wrong, tell us:" in mail["text"] and "/self-service" in mail["text"]
    with stack.client("notifications", headers=stack.headers("admin", "ADMIN")) as admin:
        sent = admin.get("/notifications", params={"carer_id": carer["carer_id"]}).json()
    assert [n["template_id"] for n in sent].count("consent-widened") == 1, "never twice"
    refused("a partner widening a carer's consent, with contact off, without the carer hearing")
