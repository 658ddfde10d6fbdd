"""The event envelope and bodies enforce the contract's rules and explain every rejection.

Each rejection test checks the dead-letter reason names the field, because that reason is all an
operator has to fix a partner's feed.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared import topics
from shared.events import (
    INBOUND_BODIES,
    OUTBOUND_BODIES,
    RECOGNISED_CARER_SNOMED_CODES,
    CarerIdentified,
    CarerStatus,
    CloudEvent,
    ConsentUpdated,
    ConsultationResponseSubmitted,
    GpCarerCoded,
    InvalidEvent,
    NotificationSent,
    ReferralAccepted,
    ReferralCompleted,
    carer_category,
    describe_validation_error,
    is_valid_nhs_number,
    is_valid_uk_postcode,
    normalise_name_for_matching,
    normalise_nhs_number,
    normalise_postcode,
    normalise_uk_mobile,
    parse_event,
    parse_inbound,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "docs/examples/cloudevent-carer-identified.json"

Mutation = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def reason_after(example: dict[str, Any], mutate: Mutation) -> str:
    """The dead-letter reason for the contract example after ``mutate`` has changed it."""
    envelope = copy.deepcopy(example)
    mutate(envelope)
    with pytest.raises(InvalidEvent) as caught:
        parse_inbound(json.dumps(envelope).encode())
    return caught.value.reason


def parse_after(example: dict[str, Any], mutate: Mutation) -> Any:
    envelope = copy.deepcopy(example)
    mutate(envelope)
    return parse_inbound(json.dumps(envelope).encode())[1]


def person(**changes: Any) -> Mutation:
    def mutate(envelope: dict[str, Any]) -> None:
        for key, value in changes.items():
            if value is ...:
                envelope["data"]["person"].pop(key, None)
            else:
                envelope["data"]["person"][key] = value

    return mutate


def reference_nhs_check(number: str) -> bool:
    """An independent Modulus 11 implementation, written from the NHS data dictionary."""
    if len(number) != 10 or not number.isdigit():
        return False
    remainder = sum(int(number[i]) * (10 - i) for i in range(9)) % 11
    check = (11 - remainder) % 11  # 11 -> 0
    return check != 10 and check == int(number[9])


# --- the contract example and the envelope --------------------------------------------------


def test_the_contract_example_validates(example: dict[str, Any]) -> None:
    event, body = parse_inbound(EXAMPLE.read_bytes())
    assert isinstance(body, CarerIdentified)
    assert event.dedup_key == ("ods:C82001", "c7a6e0b2-8f3d-4c1e-9b2a-6d5e4f3a2b10")
    assert event.time == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert body.person.nhs_number == "9434765919"
    assert body.person.given_name == "Siân"
    assert body.person.family_name == "O'Connor-Smith"
    assert body.caring_for[0].needs == ["dementia", "physical_disability"]
    assert body.consent.share_with == ["gp", "council", "vasl"]
    assert CloudEvent.from_bytes(EXAMPLE.read_bytes()).data == example["data"]


@pytest.mark.parametrize(
    ("given", "family"), [("Siân", "O'Connor-Smith"), ("Zoë", "Nuñez"), (" Zoë ", "d'Arcy")]
)
def test_names_with_accents_apostrophes_and_hyphens_round_trip_exactly(
    example: dict[str, Any], given: str, family: str
) -> None:
    body = parse_after(example, person(given_name=given, family_name=family))
    sent = CloudEvent.new("carer.identified", "ods:C82001", "9434765919", body)
    raw = sent.to_bytes()
    assert given.strip().encode("utf-8") in raw and b"\\u" not in raw
    _, again = parse_inbound(raw)
    assert isinstance(again, CarerIdentified)
    assert (again.person.given_name, again.person.family_name) == (given, family)


def test_to_bytes_is_compact_utf8_and_omits_absent_attributes() -> None:
    event = CloudEvent.new("carer.erasure_requested", "urn:carers:registry", None, {"a": "ë"})
    raw = event.to_bytes()
    assert b": " not in raw and b", " not in raw
    decoded = json.loads(raw.decode("utf-8"))
    assert "subject" not in decoded and "traceparent" not in decoded
    assert decoded["datacontenttype"] == "application/json"


@pytest.mark.parametrize(
    ("subject", "traceparent"),
    [(None, None), ("c1", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")],
)
def test_new_bytes_writes_exactly_what_the_model_would(
    subject: str | None, traceparent: str | None
) -> None:
    raw = CloudEvent.new_bytes(
        "carer.status", "urn:carers:registry", subject, {"a": "ë"}, traceparent
    )
    decoded = json.loads(raw)
    model = CloudEvent.model_validate(decoded)
    assert model.to_bytes() == raw  # same attributes, same order, same encoding
    assert uuid.UUID(model.id).version == 4 and model.traceparent == traceparent
    assert ("subject" in decoded) is (subject is not None)


def test_new_events_get_a_fresh_uuid4_id_and_the_current_time() -> None:
    first = CloudEvent.new("carer.erased", "urn:carers:registry", "c1", {"carer_id": "c1"})
    second = CloudEvent.new("carer.erased", "urn:carers:registry", "c1", {"carer_id": "c1"})
    assert first.id != second.id and uuid.UUID(first.id).version == 4
    assert abs(datetime.now(UTC) - first.time) < timedelta(seconds=5)


def test_extension_attributes_survive_a_round_trip(example: dict[str, Any]) -> None:
    envelope = dict(example, partitionkey="9434765919")
    event = CloudEvent.from_bytes(json.dumps(envelope).encode())
    assert event.extensions == {"partitionkey": "9434765919"}
    assert json.loads(event.to_bytes())["partitionkey"] == "9434765919"


def test_an_envelope_without_an_id_names_the_id(example: dict[str, Any]) -> None:
    assert reason_after(example, lambda e: e.pop("id")) == "envelope.id: Field required"


@pytest.mark.parametrize(
    "traceparent",
    [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ],
)
def test_a_bad_traceparent_is_rejected(example: dict[str, Any], traceparent: str) -> None:
    reason = reason_after(example, lambda e: e.update(traceparent=traceparent))
    assert reason.startswith("envelope.traceparent: ")


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("specversion", "0.3"),
        ("time", "2026-03-01T10:00:00"),
        ("source", ""),
        ("datacontenttype", "text/plain"),
        ("data", "not an object"),
    ],
)
def test_an_invalid_envelope_attribute_is_named(
    example: dict[str, Any], attribute: str, value: str
) -> None:
    reason = reason_after(example, lambda e: e.update({attribute: value}))
    assert reason.startswith(f"envelope.{attribute}: ")


# --- the catalogue and dead-letter reasons ---------------------------------------------------


@pytest.mark.parametrize(
    "raw", [b'{"specversion": "1.0",', b"\xff\xfe\x00garbage", b'{"x": NaN}', b"[" * 100_000]
)
def test_a_message_that_is_not_json_is_rejected_as_such(raw: bytes) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_inbound(raw)
    assert caught.value.reason.startswith("not valid JSON: ")


def test_a_json_value_that_is_not_an_object_is_not_an_envelope() -> None:
    with pytest.raises(InvalidEvent, match=r"^envelope: expected a JSON object, got list$"):
        parse_inbound(b"[1, 2]")


@pytest.mark.parametrize("event_type", ["carer.spotted", "carer.registered"])
def test_an_event_type_the_inbound_topic_does_not_accept_is_rejected(
    example: dict[str, Any], event_type: str
) -> None:
    reason = reason_after(example, lambda e: e.update(type=event_type))
    assert reason.startswith(f"envelope.type: {event_type!r} is not an event this topic accepts")
    assert "carer.identified" in reason


def test_a_body_failure_keeps_the_envelope_for_the_dead_letter_record(
    example: dict[str, Any],
) -> None:
    envelope = copy.deepcopy(example)
    envelope["data"]["person"]["nhs_number"] = "9434765918"
    with pytest.raises(InvalidEvent) as caught:
        parse_inbound(json.dumps(envelope).encode())
    assert caught.value.reason == "data.person.nhs_number: fails the NHS number Modulus 11 check"
    assert caught.value.event is not None and caught.value.event.id == example["id"]


def test_several_errors_are_joined_with_list_indexes_in_brackets() -> None:
    with pytest.raises(ValidationError) as caught:
        CarerIdentified.model_validate(
            {"identified_by": {"kind": "gp"}, "person": {"nhs_number": "9434765919"},
             "caring_for": [{"relationship": "parent", "needs": ["dementia", "boredom"]}],
             "preferences": {"contact_channels": ["sms", "sms"]}}
        )  # fmt: skip
    text = describe_validation_error(caught.value, "data")
    assert text.startswith("data.caring_for[0].needs[1]: 'boredom' is not accepted: ")
    assert "; data.preferences.contact_channels: 'sms' is listed more than once" in text


def test_reasons_never_repeat_an_email_address_or_mobile_number(example: dict[str, Any]) -> None:
    reason = reason_after(example, person(email="sian@@example..org", mobile="0116 496 0123"))
    assert "data.person.email: is not a valid email address" in reason
    assert "data.person.mobile: is not a valid UK mobile number" in reason
    assert "sian" not in reason and "0116" not in reason and "496" not in reason


def test_the_catalogue_covers_exactly_the_event_types_of_the_topic_registry() -> None:
    inbound_spec = next(t for t in topics.TOPICS if t.name == topics.INBOUND)
    assert set(INBOUND_BODIES) == set(inbound_spec.event_types)
    # Partners' own inbound topics carry the inbound events too (issue 14): not published.
    inbound_topics = {topics.INBOUND, *topics.PARTNER_INBOUND}
    published = {e for t in topics.TOPICS if t.name not in inbound_topics for e in t.event_types}
    assert set(OUTBOUND_BODIES) == published


# --- NHS numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["9434765919", "9000000009", "4010232137", "9434765080"])
def test_valid_nhs_numbers_pass_modulus_11(number: str) -> None:
    assert reference_nhs_check(number)  # computed independently, not assumed
    assert is_valid_nhs_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "9434765918",  # wrong check digit
        "1234567890",  # 123456789 gives check digit 10: no valid number starts so
        "1234567891",
        "943476591",  # nine digits
        "94347659190",  # eleven digits
        "94347659I9",
        "",
    ],
)
def test_invalid_nhs_numbers_fail(number: str) -> None:
    assert not reference_nhs_check(number)
    assert not is_valid_nhs_number(number)


def test_an_nhs_number_typed_with_spaces_or_hyphens_is_accepted_and_normalised(
    example: dict[str, Any],
) -> None:
    assert normalise_nhs_number("943-476-5919") == "9434765919"
    body = parse_after(example, person(nhs_number="943 476 5919"))
    assert body.person.nhs_number == "9434765919"


def test_a_nine_digit_nhs_number_is_rejected_naming_the_field(example: dict[str, Any]) -> None:
    reason = reason_after(example, person(nhs_number="943476591"))
    assert reason == (
        "data.person.nhs_number: is not an NHS number: "
        "it must be 10 digits (or 3-3-4 separated by spaces or hyphens)"
    )


def test_an_nhs_number_whose_check_digit_would_be_10_is_rejected(example: dict[str, Any]) -> None:
    reason = reason_after(example, person(nhs_number="1234567890"))
    assert reason == "data.person.nhs_number: fails the NHS number Modulus 11 check"


# --- person rules -------------------------------------------------------------------------


def test_without_an_nhs_number_each_missing_demographic_is_named(example: dict[str, Any]) -> None:
    mutate = person(
        nhs_number=..., given_name=..., family_name=..., date_of_birth=..., postcode=...
    )
    reason = reason_after(example, mutate)
    for field in ("given_name", "family_name", "date_of_birth", "postcode"):
        assert f"data.person.{field}: required when nhs_number is absent" in reason


def test_without_an_nhs_number_only_the_missing_demographic_is_named(
    example: dict[str, Any],
) -> None:
    reason = reason_after(example, person(nhs_number="", postcode=None))
    assert reason == "data.person.postcode: required when nhs_number is absent"


def test_demographics_alone_identify_a_person_without_an_nhs_number(
    example: dict[str, Any],
) -> None:
    body = parse_after(example, person(nhs_number=...))
    assert body.person.nhs_number is None and body.person.postcode == "LE1 6ZG"


def test_with_an_nhs_number_the_demographics_are_optional(example: dict[str, Any]) -> None:
    body = parse_after(example, person(given_name=..., family_name=..., postcode=...))
    assert body.person.given_name is None


def test_an_invalid_nhs_number_is_not_also_reported_as_absent(example: dict[str, Any]) -> None:
    reason = reason_after(example, person(nhs_number="9434765918", postcode=...))
    assert "required when" not in reason


def test_a_date_of_birth_in_the_future_is_rejected(example: dict[str, Any]) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    reason = reason_after(example, person(date_of_birth=tomorrow))
    assert reason == "data.person.date_of_birth: is in the future"


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_or_blank_name_is_rejected(example: dict[str, Any], name: str) -> None:
    reason = reason_after(example, person(given_name=name))
    assert reason == "data.person.given_name: must not be empty or only spaces"


@pytest.mark.parametrize("postcode", ["LE1", "LE1 6Z", "LI1 1AA", "123 456", "LE1 6ZGX"])
def test_a_bad_postcode_is_rejected_naming_the_field(
    example: dict[str, Any], postcode: str
) -> None:
    reason = reason_after(example, person(postcode=postcode))
    assert reason == (
        "data.person.postcode: is not a valid UK postcode "
        "(letters or digits in positions Royal Mail does not use)"
    )


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("le16zg", "LE1 6ZG"),
        ("  LE1   6ZG ", "LE1 6ZG"),
        ("sw1a1aa", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("B338TH", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("DN551PT", "DN55 1PT"),
        ("w1a 0ax", "W1A 0AX"),
        ("EC1A1BB", "EC1A 1BB"),
        ("gir0aa", "GIR 0AA"),
        ("bfpo 801", "BFPO 801"),
        ("BFPO1234", "BFPO 1234"),
    ],
)
def test_postcodes_are_normalised_to_the_canonical_form(raw: str, canonical: str) -> None:
    assert is_valid_uk_postcode(raw)
    assert normalise_postcode(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "07700 900123",
        "07700-900-123",
        "+447700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "00447700900123",
        "(07700) 900123",
    ],
)
def test_uk_mobiles_in_any_common_format_normalise_to_the_national_form(raw: str) -> None:
    assert normalise_uk_mobile(raw) == "07700900123"


def test_an_isle_of_man_mobile_is_a_uk_mobile() -> None:
    assert normalise_uk_mobile("+44 7624 123456") == "07624123456"


@pytest.mark.parametrize(
    "raw",
    [
        "0116 496 0123",  # Leicester landline
        "020 7946 0000",
        "+44 20 7946 0000",
        "0800 123456",
        "07000 123456",  # personal number, not a mobile
        "07600 123456",  # pager
        "0770090012",
        "077009001234",
        "447700900123",
        "+1 202 555 0100",
    ],
)
def test_numbers_that_are_not_uk_mobiles_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^is not a valid UK mobile number$"):
        normalise_uk_mobile(raw)


def test_a_landline_as_mobile_is_rejected_naming_the_field(example: dict[str, Any]) -> None:
    reason = reason_after(example, person(mobile="0116 496 0123"))
    assert reason == "data.person.mobile: is not a valid UK mobile number"


@pytest.mark.parametrize("email", ["sian", "sian@", "sian@example", "si an@example.org"])
def test_a_bad_email_is_rejected_naming_the_field(example: dict[str, Any], email: str) -> None:
    reason = reason_after(example, person(email=email))
    assert reason == "data.person.email: is not a valid email address"


def test_contact_details_are_stored_in_canonical_form(example: dict[str, Any]) -> None:
    body = parse_after(example, person(mobile="+44 7700 900123", postcode="le16zg", email=""))
    assert (body.person.mobile, body.person.postcode, body.person.email) == (
        "07700900123",
        "LE1 6ZG",
        None,
    )


def test_matching_folds_case_and_whitespace_but_keeps_accents_and_punctuation() -> None:
    assert normalise_name_for_matching("  SIÂN  ") == "siân"
    assert normalise_name_for_matching("Mary   Ann") == "mary ann"
    assert normalise_name_for_matching("O'Connor-Smith") == "o'connor-smith"
    assert normalise_name_for_matching("Siân") != normalise_name_for_matching("Sian")
    assert normalise_name_for_matching("Sia\u0302n") == normalise_name_for_matching("Si\u00e2n")


# --- the rest of carer.identified ---------------------------------------------------------


def _set(path: str, value: Any) -> Mutation:
    def mutate(envelope: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = envelope["data"]
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return mutate


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("identified_by.kind", "pharmacy", "data.identified_by.kind"),
        ("caring_for.0.relationship", "cousin", "data.caring_for[0].relationship"),
        ("caring_for.0.needs", ["boredom"], "data.caring_for[0].needs[0]"),
        ("preferences.contact_channels", ["pigeon"], "data.preferences.contact_channels[0]"),
        ("support_requested", ["money"], "data.support_requested[0]"),
        ("consent.share_with", ["gp", "dwp"], "data.consent.share_with[1]"),
    ],
)
def test_an_unknown_enumeration_value_is_rejected_naming_the_field_and_value(
    example: dict[str, Any], path: str, value: Any, named: str
) -> None:
    reason = reason_after(example, _set(path, value))
    bad = value[-1] if isinstance(value, list) else value
    assert reason.startswith(f"{named}: {bad!r} is not accepted: input should be ")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("caring_for", [], "data.caring_for: List should have at least 1 item"),
        ("caring_for.0.needs", [], "data.caring_for[0].needs: List should have at least 1 item"),
        ("consent.share_with", ["gp", "gp"], "data.consent.share_with: 'gp' is listed more"),
        ("preferences.language", "English", "data.preferences.language: String should match"),
        ("story", "x" * 10_001, "data.story: String should have at most 10000 characters"),
    ],
)
def test_structural_rules_are_enforced_naming_the_field(
    example: dict[str, Any], path: str, value: Any, expected: str
) -> None:
    assert reason_after(example, _set(path, value)).startswith(expected)


def test_a_minimal_identification_gets_safe_defaults(example: dict[str, Any]) -> None:
    def strip(envelope: dict[str, Any]) -> None:
        for key in ("preferences", "consent", "support_requested", "story"):
            envelope["data"].pop(key)

    body = parse_after(example, strip)
    assert body.consent.share_with == [] and body.consent.contact is False
    assert body.preferences.contact_channels == [] and body.preferences.language == "en"
    assert body.support_requested == [] and body.story is None


def test_the_story_is_kept_verbatim(example: dict[str, Any]) -> None:
    story = '  Mum\'s "good days" are fewer.\n\nI need a break 🙏 — Siân  '
    assert parse_after(example, _set("story", story)).story == story


def test_unknown_fields_are_ignored_for_forward_compatibility(example: dict[str, Any]) -> None:
    body = parse_after(example, _set("person.pronouns", "she/her"))
    assert "pronouns" not in body.person.model_dump()


# --- the other inbound events -------------------------------------------------------------

CODED = {
    "nhs_number": "9434765919",
    "practice_ods_code": "c82001",
    "coded_at": "2026-03-01T09:55:00Z",
}


@pytest.mark.parametrize("code", sorted(RECOGNISED_CARER_SNOMED_CODES))
def test_every_recognised_carer_code_is_accepted(code: str) -> None:
    coded = GpCarerCoded.model_validate({**CODED, "snomed_code": code})
    assert coded.practice_ods_code == "C82001"


def test_an_unrecognised_snomed_code_is_rejected_listing_the_accepted_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        GpCarerCoded.model_validate({**CODED, "snomed_code": "12345"})
    reason = describe_validation_error(caught.value, "data")
    assert reason.startswith("data.snomed_code: 12345 is not a recognised carer code (accepted: ")
    assert "224484003 Patient themselves providing care" in reason


def _verhoeff_ok(number: str) -> bool:
    d = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
         [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
         [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
         [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
         [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]  # fmt: skip
    p = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4]]
    for _ in range(6):
        p.append([p[1][x] for x in p[-1]])
    check = 0
    for i, digit in enumerate(reversed(number)):
        check = d[check][p[i % 8][int(digit)]]
    return check == 0


def test_recognised_codes_are_well_formed_snomed_concept_ids() -> None:
    # SCTIDs end in a Verhoeff check digit after a "00" partition (an international concept),
    # so a mistyped code in the table would fail here.
    for code in RECOGNISED_CARER_SNOMED_CODES:
        assert _verhoeff_ok(code) and code[-3:-1] == "00", code
    assert not _verhoeff_ok("224484004")


@pytest.mark.parametrize(
    ("reference", "ok"),
    [
        ({"nhs_number": "9434765919"}, True),
        ({"carer_id": "c-1"}, True),
        ({}, False),
        ({"nhs_number": "9434765919", "carer_id": "c-1"}, False),
    ],
)
def test_consent_updates_name_the_carer_exactly_one_way(
    reference: dict[str, str], ok: bool
) -> None:
    body = {**reference, "share_with": ["council"], "contact": False}
    if ok:
        assert ConsentUpdated.model_validate(body).share_with == ["council"]
    else:
        with pytest.raises(ValidationError, match="nhs_number or carer_id"):
            ConsentUpdated.model_validate(body)


def test_an_erasure_request_needs_a_reason(example: dict[str, Any]) -> None:
    def erasure(envelope: dict[str, Any]) -> None:
        envelope.update(type="carer.erasure_requested", data={"carer_id": "c-1", "reason": " "})

    assert reason_after(example, erasure) == "data.reason: must not be empty or only spaces"


# --- category -----------------------------------------------------------------------------

BORN = date(2008, 6, 15)


@pytest.mark.parametrize(
    ("at", "category"),
    [
        (date(2026, 6, 14), "young_carer"),  # 17 years 364 days
        (date(2026, 6, 15), "young_adult_carer"),  # 18th birthday
        (date(2034, 6, 14), "young_adult_carer"),  # 25, the day before turning 26
        (date(2034, 6, 15), "adult_carer"),  # 26th birthday
    ],
)
def test_category_changes_on_the_birthday_itself(at: date, category: str) -> None:
    assert carer_category(BORN, at) == category


@pytest.mark.parametrize(
    ("at", "category"),
    [
        (date(2026, 2, 28), "young_carer"),
        (date(2026, 3, 1), "young_adult_carer"),
        (date(2028, 2, 28), "young_adult_carer"),
    ],
)
def test_a_29_february_birthday_falls_on_1_march_in_other_years(at: date, category: str) -> None:
    assert carer_category(date(2008, 2, 29), at) == category


def test_category_uses_the_uk_date_of_an_event_time() -> None:
    late_evening_utc = datetime(2026, 6, 14, 23, 30, tzinfo=UTC)  # already 15 June in the UK
    assert carer_category(BORN, late_evening_utc) == "young_adult_carer"
    winter_birthday = date(2008, 12, 15)  # in winter the UK is on UTC, so no day change
    assert carer_category(winter_birthday, datetime(2026, 12, 14, 23, 30, tzinfo=UTC)) == (
        "young_carer"
    )
    assert carer_category(BORN, datetime(2026, 6, 14, 22, 30, tzinfo=UTC)) == "young_carer"


# --- published events ---------------------------------------------------------------------

NOW = "2026-03-01T10:00:00Z"


def test_every_published_event_about_a_carer_carries_carer_id() -> None:
    for event_type, model in OUTBOUND_BODIES.items():
        if not event_type.startswith("consultation."):
            assert model.model_fields["carer_id"].is_required(), event_type


def test_a_status_snapshot_round_trips_through_an_envelope() -> None:
    status = CarerStatus.model_validate(
        {"carer_id": "c-1", "category": "adult_carer", "version": 3, "updated_at": NOW,
         "identified_by": [{"kind": "gp", "org_code": "C82001", "at": NOW}],
         "consent": {"share_with": ["vasl"], "contact": True},
         "open_referrals": [{"referral_id": "r-1", "service": "vasl", "status": "requested"}]}
    )  # fmt: skip
    event = CloudEvent.new("carer.status", "urn:carers:registry", "c-1", status)
    _, again = parse_event(event.to_bytes(), OUTBOUND_BODIES)
    assert again == status
    with pytest.raises(ValidationError, match="version"):
        CarerStatus.model_validate({**status.model_dump(), "version": 0})


def test_referral_events_fix_their_status_and_completion_needs_an_outcome() -> None:
    fields = {"referral_id": "r-1", "carer_id": "c-1", "service": "young_carers"}
    assert ReferralAccepted.model_validate(fields).status == "accepted"
    with pytest.raises(ValidationError):
        ReferralAccepted.model_validate({**fields, "status": "declined"})
    with pytest.raises(ValidationError, match="outcome"):
        ReferralCompleted.model_validate(fields)


def test_notification_events_refuse_message_text_and_contact_details() -> None:
    fields = {"notification_id": "n-1", "carer_id": "c-1", "channel": "sms",
              "template": {"id": "referral-created", "version": 2}}  # fmt: skip
    assert NotificationSent.model_validate({**fields, "provider_ref": "x"}).status == "sent"
    with pytest.raises(ValidationError, match="must not carry mobile, text"):
        NotificationSent.model_validate({**fields, "text": "Hello", "mobile": "07700900123"})


def test_consultation_responses_need_a_slug_and_a_known_channel() -> None:
    slug = "draft-leicestershire-carers-strategy-2026"
    body = {"consultation": slug, "response_id": "r-1", "channel": "easy_read"}
    assert ConsultationResponseSubmitted.model_validate(body).consultation == slug
    with pytest.raises(ValidationError):
        ConsultationResponseSubmitted.model_validate({**body, "channel": "fax"})
    with pytest.raises(ValidationError):
        ConsultationResponseSubmitted.model_validate({**body, "consultation": "Not A Slug"})


def test_uuid4_str_is_a_canonical_random_uuid() -> None:
    from shared.events.ids import uuid4_str

    values = {uuid4_str() for _ in range(1000)}
    assert len(values) == 1000
    for value in values:
        parsed = uuid.UUID(value)
        assert str(parsed) == value and parsed.version == 4 and parsed.variant == uuid.RFC_4122


# --- issue 13 / 15: reasons name the field and the rule, never the value --------------------


@pytest.mark.parametrize(
    ("mutate", "value"),
    [
        (person(nhs_number="9434765918"), "9434765918"),
        (person(nhs_number="943476591"), "943476591"),
        (person(postcode="TN9 1AO"), "TN9 1AO"),
        (person(date_of_birth="2999-01-01"), "2999-01-01"),
    ],
)
def test_a_reason_names_the_field_but_never_repeats_the_value(
    example: dict[str, Any], mutate: Any, value: str
) -> None:
    reason = reason_after(example, mutate)
    assert reason.startswith("data.person.")
    assert value not in reason and value.replace(" ", "") not in reason


def test_an_nhs_number_sent_as_a_json_number_gets_an_error_about_the_nhs_number(
    example: dict[str, Any],
) -> None:
    reason = reason_after(example, person(nhs_number=9434765919))
    assert reason == (
        "data.person.nhs_number: an NHS number must be sent as a JSON string, not a number"
    )


@pytest.mark.parametrize("typed", ["94 34765919", "9434 765 919", "943 476-5919", "9-4-3476591-9"])
def test_an_nhs_number_with_separators_in_odd_places_is_refused(
    example: dict[str, Any], typed: str
) -> None:
    assert not is_valid_nhs_number(typed)
    assert reason_after(example, person(nhs_number=typed)).startswith("data.person.nhs_number: ")


@pytest.mark.parametrize(
    "postcode", ["Q1 1AA", "TN9 1AO", "V1 1AA", "X1 1AA", "AI1 1AA", "W1M 4ZZ"]
)
def test_a_postcode_with_letters_royal_mail_never_uses_is_refused(postcode: str) -> None:
    assert not is_valid_uk_postcode(postcode)


def test_a_missing_time_says_the_contract_requires_it(example: dict[str, Any]) -> None:
    envelope = copy.deepcopy(example)
    del envelope["time"]
    with pytest.raises(InvalidEvent) as caught:
        parse_inbound(json.dumps(envelope).encode())
    assert caught.value.reason == "envelope.time: time is required by this contract"


# --- binary content mode (shared.events.binary) ---------------------------------------------


def test_a_binary_mode_kafka_record_becomes_the_structured_event(example: dict[str, Any]) -> None:
    from shared.events.binary import kafka_value

    headers = [(f"ce_{k}", str(v).encode()) for k, v in example.items() if k != "data"]
    headers.append(("content-type", b"application/json"))
    structured = kafka_value(headers, json.dumps(example["data"]).encode())
    envelope, _body = parse_inbound(structured)
    assert envelope.dedup_key == (example["source"], example["id"])
    assert envelope.traceparent == example["traceparent"]


def test_a_structured_record_is_passed_through_untouched() -> None:
    from shared.events.binary import STRUCTURED_HEADERS, kafka_value

    value = b'{"anything": 1}'
    assert kafka_value(list(STRUCTURED_HEADERS), value) is value
    assert kafka_value([("traceparent", b"x")], value) is value  # no ce_ headers: structured


def test_binary_mode_data_that_is_not_json_is_a_reason_not_a_crash() -> None:
    from shared.events.binary import kafka_value

    headers = [("ce_specversion", b"1.0"), ("content-type", b"application/json")]
    with pytest.raises(InvalidEvent) as caught:
        kafka_value(headers, b"{not json")
    assert caught.value.reason.startswith("data: binary-mode data is not valid JSON")


def test_an_old_style_dead_letter_is_still_read() -> None:
    from shared.messaging.deadletter import read_dead_letter

    old = {"service": "registry", "reason": "r", "topic": "t", "partition": 0, "offset": 1}
    letter = read_dead_letter(json.dumps({**old, "key": None, "original": "eA=="}).encode())
    assert letter["original_bytes"] == b"x" and letter["original_headers"] == []
