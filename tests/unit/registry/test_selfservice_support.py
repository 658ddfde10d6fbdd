"""What a carer reads about their support: plain words, a next step and a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.registry.domain.model import Carer
from services.registry.selfservice.domain.plain_words import (
    consent_view,
    describe_referral,
    is_under_16,
    long_date,
    sources_view,
)
from services.registry.selfservice.entrypoints.forms import identification_from_form
from services.registry.selfservice.service_layer.use_cases import code_channel, identifier_kind


def referral(status: str, **extra: object) -> dict[str, object]:
    return {"referral_id": "r-1", "service": "vasl", "status": status,
            "due_by": "2026-11-27", **extra}  # fmt: skip


def test_a_requested_referral_says_who_and_by_when() -> None:
    view = describe_referral(referral("requested"))
    assert view.status == "Waiting to be accepted"
    assert "Voluntary Action South Leicestershire (VASL)" in view.explanation
    assert "by Friday 27 November 2026" in view.next_step


def test_an_accepted_referral_says_they_will_contact_you_and_no_story_again() -> None:
    view = describe_referral(referral("accepted"))
    assert view.status == "Accepted" and view.tag_colour == "green"
    assert "contact you" in view.next_step and "story again" in view.next_step


def test_every_status_has_words_and_a_next_step_in_both_versions() -> None:
    for status in ("requested", "accepted", "completed", "declined", "withdrawn"):
        for easy in (False, True):
            view = describe_referral(referral(status, outcome={"type": "signposted"}), easy=easy)
            assert view.status and view.explanation and view.next_step, (status, easy)
            assert "referral" not in view.next_step.lower() or not easy


def test_a_referral_withdrawn_for_consent_points_to_changing_consent() -> None:
    view = describe_referral(
        referral("withdrawn", reason="the carer withdrew consent to share with VASL")
    )
    assert "change what you agree to" in view.next_step


def test_who_identified_the_carer_is_listed_once_each_oldest_first() -> None:
    sources: list[dict[str, Any]] = [
        {"kind": "self", "org_code": None, "org_name": "Told us themselves online", "at": "2"},
        {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery", "at": "1"},
        {"kind": "self", "org_code": None, "org_name": None, "at": "3"},
    ]
    assert sources_view(sources) == ["Your GP practice: Example Surgery", "You told us yourself"]


def test_consent_is_shown_for_each_partner_and_contact() -> None:
    rows = consent_view({"share_with": ["vasl"], "contact": True})
    assert rows == [
        ("your GP practice", False),
        ("Leicestershire County Council", False),
        ("Voluntary Action South Leicestershire (VASL)", True),
        ("contact you about your support", True),
    ]


def test_under_16_is_decided_on_the_day() -> None:
    assert is_under_16(date(2010, 11, 24), date(2026, 11, 23))
    assert not is_under_16(date(2010, 11, 23), date(2026, 11, 23))
    assert not is_under_16(None, date(2026, 11, 23))
    assert long_date(date(2026, 3, 1)) == "Sunday 1 March 2026"


class Form(dict):  # type: ignore[type-arg]
    def getlist(self, name: str) -> list[str]:
        value = self.get(name)
        return value if isinstance(value, list) else [value] if value else []


FORM = {
    "filling-for": "someone-else", "agreed": "yes", "given-name": "Siân",
    "family-name": "O'Connor-Smith", "dob-day": "12", "dob-month": "4", "dob-year": "1968",
    "postcode": "le1 6zg", "mobile": "07700 900123", "cared-1-relationship": "parent",
    "cared-1-needs": ["dementia", "frailty"], "cared-1-lives": "no",
    "cared-2-relationship": "child", "cared-2-needs": ["learning_disability"],
    "support": ["carers_assessment"], "share": ["council", "vasl"], "contact": "yes",
    "channel": "sms", "story": "I look after Mum and my son.",
}  # fmt: skip


def test_the_form_becomes_a_contract_identification_of_kind_self() -> None:
    body, errors = identification_from_form(Form(FORM), easy=False)
    assert errors == []
    assert body["identified_by"]["kind"] == "self"
    assert "with their agreement" in body["identified_by"]["org_name"]
    assert (
        body["person"]["given_name"] == "Siân" and body["person"]["date_of_birth"] == "1968-04-12"
    )
    assert [c["relationship"] for c in body["caring_for"]] == ["parent", "child"]
    assert body["caring_for"][0] == {"relationship": "parent", "needs": ["dementia", "frailty"],
                                     "lives_with_carer": False}  # fmt: skip
    assert body["consent"] == {"share_with": ["council", "vasl"], "contact": True}
    assert body["preferences"]["contact_channels"] == ["sms"]


def test_someone_filling_in_for_a_carer_must_confirm_the_carer_agreed() -> None:
    _, errors = identification_from_form(Form({**FORM, "agreed": ""}), easy=False)
    assert [e.control_id for e in errors] == ["agreed"]


def test_bad_answers_are_named_in_plain_words_at_their_controls() -> None:
    form = Form({**FORM, "nhs-number": "9434765918", "postcode": "nowhere", "channel": "email"})
    _, errors = identification_from_form(form, easy=True)
    assert {e.control_id: e.message for e in errors} == {
        "email": "Enter your email address, or choose another way to contact you",
    }
    _, errors = identification_from_form(Form({**form, "email": "me@example.org"}), easy=True)
    assert {e.control_id for e in errors} == {"nhs-number", "postcode"}
    assert all("like" in e.message for e in errors)


def test_what_was_typed_to_sign_in_is_read_as_an_nhs_number_or_a_reference() -> None:
    assert identifier_kind("943 476 5919") == ("nhs", "9434765919")
    assert identifier_kind("cc-7k3m-9qx2") == ("reference", "CC-7K3M-9QX2")
    assert identifier_kind("9434765918") is None  # fails Modulus 11, and is no reference


def test_the_code_goes_by_the_first_preferred_channel_we_can_send_to() -> None:
    carer = Carer(
        "c",
        None,
        "A",
        "B",
        date(1970, 1, 1),
        "LE1 6ZG",
        email="a@example.org",
        mobile="07700900123",
        preferences={"contact_channels": ["post", "sms"]},
    )
    assert code_channel(carer) == ("sms", "07700900123")
    carer.preferences = {"contact_channels": ["phone"]}
    assert code_channel(carer) == ("email", "a@example.org")
    carer.email = carer.mobile = None
    assert code_channel(carer) is None
