"""FHIR message Bundle -> carer.identified: what is kept, how gaps are filled, and every
rejection answered with an OperationOutcome whose expression points at the element."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from services.registry.adapters.fhir import (
    PARTNER,
    UK_CORE_ROLE,
    V3_ROLE_CODE,
    FhirRejected,
    Translation,
    translate,
)
from shared.events import CarerIdentified, parse_inbound

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "fhir-carer-identified.json"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PATIENT_REF = "urn:uuid:4a1e2b3c-9d8e-4f70-8a6b-5c4d3e2f1a09"
Bundle = dict[str, Any]


def example(change: Callable[[Bundle], object] | None = None) -> Bundle:
    bundle = copy.deepcopy(json.loads(EXAMPLE.read_text()))
    if change is not None:
        change(bundle)
    return bundle


def resource(bundle: Bundle, index: int) -> dict[str, Any]:
    return bundle["entry"][index]["resource"]


def ok(bundle: Bundle, kind: str = "gp", org: str = "C82001") -> Translation:
    return translate(bundle, kind=kind, org=org, now=NOW)


def rejected(bundle: Any, org: str = "C82001") -> FhirRejected:
    with pytest.raises(FhirRejected) as caught:
        translate(bundle, kind="gp", org=org, now=NOW)
    outcome = caught.value.outcome
    OperationOutcome.model_validate(outcome)  # a valid FHIR resource, not just a dict
    assert {issue["severity"] for issue in outcome["issue"]} == {"error"}
    return caught.value


def issues(error: FhirRejected) -> list[tuple[str, str | None]]:
    return [(i.code, i.expression) for i in error.issues]


def related_person(*codings: tuple[str, str], patient: str = PATIENT_REF) -> dict[str, Any]:
    relationship = [{"coding": [{"system": s, "code": c} for s, c in codings]}]
    return {
        "resource": {
            "resourceType": "RelatedPerson",
            "patient": {"reference": patient},
            "relationship": relationship,
        }
    }


# --- translation ----------------------------------------------------------------------------


def test_the_contract_example_becomes_a_valid_identification_keeping_names_exactly() -> None:
    translation = ok(example())

    body = CarerIdentified.model_validate(translation.body)
    assert body.person.given_name == "Siân"
    assert body.person.family_name == "O'Connor-Smith"
    assert (body.person.nhs_number, body.person.postcode) == ("9434765919", "LE1 6ZG")
    assert body.person.date_of_birth == date(1968, 4, 12)
    assert (body.person.mobile, body.person.email) == ("07700900123", "sian@example.org")
    assert body.identified_by.kind == "gp" and body.identified_by.org_code == "C82001"
    assert body.story == "Cares for her mother, who has dementia; does not live with her."
    assert body.consent.share_with == ["council", "vasl"] and body.consent.contact is True
    assert body.consent.recorded_at == datetime(2026, 3, 1, 9, 50, tzinfo=UTC)
    assert body.preferences.contact_channels == ["sms", "email"]


def test_without_detail_the_cared_for_person_is_other_with_needs_other() -> None:
    body = CarerIdentified.model_validate(ok(example()).body)
    assert [c.model_dump() for c in body.caring_for] == [
        {"relationship": "other", "needs": ["other"], "lives_with_carer": None}
    ]


def test_the_event_uses_the_bundle_id_the_sender_and_the_bundle_time() -> None:
    event = ok(example()).to_event()
    envelope, body = parse_inbound(event.to_bytes())
    assert envelope.id == "5f0c8f0e-6c1b-4a43-9f7e-2b1f3d1c9a01"
    assert envelope.source == "ods:C82001"
    assert envelope.subject == "9434765919"
    assert envelope.time == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert isinstance(body, CarerIdentified)


def test_the_message_header_id_is_the_event_id_when_the_bundle_has_none() -> None:
    translation = ok(example(lambda b: b.pop("id")))
    assert translation.message_id == "0b7b1c2e-1f4e-4f0a-8b7c-3d2a1e0f9c11"


def test_the_kind_comes_from_the_callers_role() -> None:
    bundle = example(lambda b: resource(b, 0)["sender"]["identifier"].update(value="RWE"))
    assert ok(bundle, kind="hospital", org="RWE").body["identified_by"]["kind"] == "hospital"


@pytest.mark.parametrize(
    ("code", "relationship"),
    [
        ("MTH", "parent"),
        ("FTH", "parent"),
        ("PRN", "parent"),
        ("SON", "child"),
        ("CHILD", "child"),
        ("WIFE", "spouse_or_partner"),
        ("DOMPART", "spouse_or_partner"),
        ("SIB", "sibling"),
        ("GRPRN", "grandparent"),
        ("GRNDCHILD", "grandchild"),
        ("FRND", "friend"),
        ("NBOR", "neighbour"),
        ("ROOM", "other"),
    ],
)
def test_a_related_person_of_the_carer_gives_the_relationship(code: str, relationship: str) -> None:
    bundle = example(lambda b: b["entry"].append(related_person((V3_ROLE_CODE, code))))
    assert ok(bundle).body["caring_for"] == [{"relationship": relationship, "needs": ["other"]}]


def test_a_uk_core_carer_related_person_is_read_the_other_way_round() -> None:
    # The carer is the cared-for patient's CHILD, so the person cared for is a parent.
    cared_for = {"fullUrl": "urn:uuid:mum", "resource": {"resourceType": "Patient", "id": "mum"}}
    carer_role = related_person(
        (UK_CORE_ROLE, "Carer"), (V3_ROLE_CODE, "CHILD"), patient="urn:uuid:mum"
    )
    bundle = example(lambda b: b["entry"].extend([cared_for, carer_role]))
    assert ok(bundle).body["caring_for"][0]["relationship"] == "parent"


def test_a_caregiver_code_names_the_need() -> None:
    coding = {"system": "http://snomed.info/sct", "code": "413761004"}  # learning disability
    bundle = example(lambda b: resource(b, 2)["code"].update(coding=[coding]))
    assert ok(bundle).body["caring_for"][0]["needs"] == ["learning_disability"]


def test_a_flag_coded_as_a_carer_is_accepted_too() -> None:
    def to_flag(bundle: Bundle) -> None:
        flag = resource(bundle, 2)
        for key in ("effectiveDateTime", "note"):
            flag.pop(key)
        flag.update(resourceType="Flag", status="active")

    assert ok(example(to_flag)).body["person"]["nhs_number"] == "9434765919"


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["provision"].update(type="deny"),
        lambda c: c.update(status="inactive"),
        lambda c: c.update(status="rejected"),
    ],
)
def test_anything_but_an_active_permit_means_no_sharing_and_no_contact(
    change: Callable[[dict[str, Any]], None],
) -> None:
    consent = ok(example(lambda b: change(resource(b, 3)))).body["consent"]
    assert (consent["share_with"], consent["contact"]) == ([], False)


def test_without_a_consent_resource_the_body_has_none_so_nothing_is_shared() -> None:
    body = ok(example(lambda b: b["entry"].pop(3))).body
    assert "consent" not in body
    assert CarerIdentified.model_validate(body).consent.contact is False


def test_telecom_rank_orders_the_contact_channels_and_language_is_kept() -> None:
    def prefer_email(bundle: Bundle) -> None:
        patient = resource(bundle, 1)
        patient["telecom"][1]["rank"] = 1
        patient["communication"] = [
            {
                "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "cy"}]},
                "preferred": True,
            }
        ]

    preferences = ok(example(prefer_email)).body["preferences"]
    assert preferences == {"contact_channels": ["email", "sms"], "language": "cy"}


# --- 400: not FHIR --------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [[], "Bundle", {"resourceType": "Patient"}, {"type": "x"}])
def test_something_that_is_not_a_bundle_is_a_400(payload: Any) -> None:
    error = rejected(payload)
    assert error.status == 400
    assert issues(error) == [("structure", None)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: resource(b, 1).update(foo=1), ("structure", "Bundle.entry[1].resource.foo")),
        (lambda b: resource(b, 2).pop("status"), ("required", "Bundle.entry[2].resource.status")),
        (
            lambda b: resource(b, 1).update(identifier={"value": "1"}),
            ("structure", "Bundle.entry[1].resource.identifier"),
        ),
        (
            lambda b: resource(b, 1).update(resourceType="Nope"),
            ("structure", "Bundle.entry[1].resource"),
        ),
        (lambda b: resource(b, 1).pop("resourceType"), ("required", "Bundle.entry[1].resource")),
        (
            lambda b: resource(b, 1).update(birthDate="12/04/1968"),
            ("value", "Bundle.entry[1].resource.birthDate"),
        ),
        (lambda b: b.update(timestamp="2026-03-01T10:00:00"), ("value", "Bundle.timestamp")),
    ],
)
def test_fhir_structure_errors_are_a_400_naming_the_element(
    change: Callable[[Bundle], object], expected: tuple[str, str]
) -> None:
    error = rejected(example(change))
    assert error.status == 400
    assert issues(error) == [expected]
    assert error.issues[0].diagnostics.startswith(expected[1])


# --- 422: our rules -------------------------------------------------------------------------


def _identifier(value: str) -> Callable[[Bundle], None]:
    return lambda b: resource(b, 1)["identifier"][0].update(value=value)


def _telecom(value: str) -> Callable[[Bundle], None]:
    return lambda b: resource(b, 1)["telecom"][0].update(value=value)


def _snomed(code: str) -> Callable[[Bundle], None]:
    return lambda b: resource(b, 2)["code"]["coding"][0].update(code=code)


RULES: dict[str, tuple[Callable[[Bundle], object], str, str, str]] = {
    "not a message": (
        lambda b: b.update(type="collection"),
        "value",
        "Bundle.type",
        "Bundle.type must be 'message', not 'collection'",
    ),
    "header not first": (
        lambda b: b["entry"].reverse(),
        "structure",
        "Bundle.entry[0].resource",
        "a message Bundle's first entry must be its MessageHeader",
    ),
    "no id anywhere": (
        lambda b: (b.pop("id"), resource(b, 0).pop("id")),
        "required",
        "Bundle.id",
        "the message needs an id: a resend repeats it",
    ),
    "future timestamp": (
        lambda b: b.update(timestamp="2027-01-01T00:00:00Z"),
        "value",
        "Bundle.timestamp",
        "timestamp 2027-01-01T00:00:00+00:00 is in the future",
    ),
    "no sender": (
        lambda b: resource(b, 0).pop("sender"),
        "required",
        "Bundle.entry[0].resource.sender",
        "the sender needs an ODS code: an identifier with system "
        "https://fhir.nhs.uk/Id/ods-organization-code",
    ),
    "other event": (
        lambda b: resource(b, 0)["eventCoding"].update(code="carer.erased"),
        "value",
        "Bundle.entry[0].resource.eventCoding",
        "this endpoint accepts eventCoding system "
        "https://carers-connect.example/CodeSystem/event code carer.identified only",
    ),
    "no NHS number": (
        lambda b: resource(b, 1).pop("identifier"),
        "required",
        "Bundle.entry[1].resource.identifier",
        "the Patient needs an identifier with system https://fhir.nhs.uk/Id/nhs-number",
    ),
    "Modulus 11": (
        _identifier("9434765918"),
        "value",
        "Bundle.entry[1].resource.identifier[0].value",
        "fails the NHS number Modulus 11 check",
    ),
    "nine digits": (
        _identifier("943476591"),
        "value",
        "Bundle.entry[1].resource.identifier[0].value",
        "is not an NHS number: it must be 10 digits",
    ),
    "wrong SNOMED code": (
        _snomed("38341003"),
        "value",
        "Bundle.entry[2].resource.code.coding[0].code",
        "SNOMED CT 38341003 is not a recognised carer code (use 224484003)",
    ),
    "no finding": (
        lambda b: b["entry"].pop(2),
        "required",
        "Bundle.entry",
        "the message needs an Observation or Flag coded SNOMED CT 224484003",
    ),
    "finding not about the patient": (
        lambda b: resource(b, 2)["subject"].update(reference="Patient/someone-else"),
        "value",
        "Bundle.entry[2].resource.subject",
        "Observation.subject must reference the carer's Patient in this Bundle",
    ),
    "entered in error": (
        lambda b: resource(b, 2).update(status="entered-in-error"),
        "value",
        "Bundle.entry[2].resource.status",
        "an Observation with status 'entered-in-error' does not stand",
    ),
    "no patient": (
        lambda b: b["entry"].pop(1),
        "required",
        "Bundle.entry",
        "the message needs a Patient: the carer",
    ),
    "future birth date": (
        lambda b: resource(b, 1).update(birthDate="2090-01-01"),
        "value",
        "Bundle.entry[1].resource.birthDate",
        "The birthDate: is in the future",
    ),
    "partial birth date": (
        lambda b: resource(b, 1).update(birthDate="1968-04"),
        "value",
        "Bundle.entry[1].resource.birthDate",
        "The birthDate: ",
    ),
    "bad postcode": (
        lambda b: resource(b, 1)["address"][0].update(postalCode="NOT A CODE"),
        "value",
        "Bundle.entry[1].resource.address[0].postalCode",
        "The postcode: is not a valid UK postcode",
    ),
    "landline as mobile": (
        _telecom("0116 496 0000"),
        "value",
        "Bundle.entry[1].resource.telecom[0].value",
        "The mobile: is not a valid UK mobile number",
    ),
    "unknown partner": (
        lambda b: resource(b, 3)["provision"]["actor"][0]["reference"]["identifier"].update(
            value="nhs-england"
        ),
        "value",
        "Bundle.entry[3].resource.provision.actor[0].reference.identifier",
        f"name the partner by identifier system {PARTNER}: gp, council or vasl",
    ),
    "consent for someone else": (
        lambda b: resource(b, 3)["patient"].update(reference="Patient/other"),
        "value",
        "Bundle.entry[3].resource.patient",
        "Consent.patient must be the carer's Patient",
    ),
    "two consents": (
        lambda b: b["entry"].append(copy.deepcopy(b["entry"][3])),
        "structure",
        "Bundle.entry",
        "send one Consent: it replaces the carer's",
    ),
    "stray related person": (
        lambda b: b["entry"].append(related_person((V3_ROLE_CODE, "MTH"), patient="Patient/x")),
        "value",
        "Bundle.entry[4].resource.patient",
        "RelatedPerson.patient must be the carer's Patient (or code it Carer)",
    ),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_a_valid_bundle_breaking_a_rule_is_a_422_naming_the_element(rule: str) -> None:
    change, code, expression, diagnostics = RULES[rule]
    error = rejected(example(change))
    assert error.status == 422
    assert issues(error) == [(code, expression)]
    assert error.issues[0].diagnostics.startswith(diagnostics)


def test_every_broken_rule_is_reported_at_once() -> None:
    def break_two(bundle: Bundle) -> None:
        _identifier("9434765918")(bundle)
        _snomed("38341003")(bundle)

    assert issues(rejected(example(break_two))) == [
        ("value", "Bundle.entry[2].resource.code.coding[0].code"),
        ("value", "Bundle.entry[1].resource.identifier[0].value"),
    ]


def test_a_mobile_number_is_never_repeated_in_the_outcome() -> None:
    error = rejected(example(_telecom("0116 496 0000")))
    assert "0116" not in json.dumps(error.outcome)


def test_a_message_claiming_another_sender_than_the_token_is_a_403() -> None:
    error = rejected(example(), org="Y12345")
    assert error.status == 403
    assert issues(error) == [("forbidden", "Bundle.entry[0].resource.sender.identifier.value")]


# --- issue 15: Consent by its R4 semantics, senders by reference, modifierExtension -------

OPTIN = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]
}
OPTOUT = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]
}


PROVIDER = {"coding": [{"system": V3_ROLE_CODE, "code": "PROV"}]}


def partner_actor(value: str) -> dict[str, Any]:
    return {"role": PROVIDER, "reference": {"identifier": {"system": PARTNER, "value": value}}}


def r4_consent(policy: dict[str, Any], *nested: dict[str, Any]) -> Callable[[Bundle], None]:
    """Replace the example's Consent provision with the R4 shape: no root type."""

    def change(bundle: Bundle) -> None:
        consent = resource(bundle, 3)
        consent["policyRule"] = policy
        consent["provision"] = {"provision": list(nested)} if nested else {}

    return change


def test_an_r4_consent_with_optin_and_nested_permits_shares_with_the_named_partners() -> None:
    change = r4_consent(
        OPTIN,
        {"type": "permit", "actor": [partner_actor("council")]},
        {"type": "permit", "actor": [partner_actor("vasl")]},
    )
    consent = ok(example(change)).body["consent"]
    assert consent["share_with"] == ["council", "vasl"]
    assert consent["contact"] is True


def test_a_nested_deny_overrides_the_permit_above_it_for_the_partner_it_names() -> None:
    change = r4_consent(
        OPTIN,
        {
            "type": "permit",
            "actor": [partner_actor("council"), partner_actor("vasl")],
            "provision": [{"type": "deny", "actor": [partner_actor("vasl")]}],
        },
    )
    assert ok(example(change)).body["consent"]["share_with"] == ["council"]


def test_an_optout_consent_without_partners_is_a_clear_refusal() -> None:
    consent = ok(example(r4_consent(OPTOUT))).body["consent"]
    assert consent["share_with"] == [] and consent["contact"] is False


def test_a_lapsed_permit_does_not_apply() -> None:
    lapsed = {
        "type": "permit",
        "actor": [partner_actor("vasl")],
        "period": {"end": "2026-01-01T00:00:00Z"},
    }
    current = {"type": "permit", "actor": [partner_actor("council")]}
    consent = ok(example(r4_consent(OPTIN, lapsed, current))).body["consent"]
    assert consent["share_with"] == ["council"]


def test_an_actor_may_be_a_reference_to_an_organization_in_the_bundle() -> None:
    def change(bundle: Bundle) -> None:
        bundle["entry"].append(
            {
                "fullUrl": "urn:uuid:5d6e7f80-1111-4a2b-8c3d-4e5f60718293",
                "resource": {
                    "resourceType": "Organization",
                    "identifier": [{"system": PARTNER, "value": "vasl"}],
                    "name": "Voluntary Action South Leicestershire",
                },
            }
        )
        target = "urn:uuid:5d6e7f80-1111-4a2b-8c3d-4e5f60718293"
        actor = {"role": PROVIDER, "reference": {"reference": target}}
        r4_consent(OPTIN, {"type": "permit", "actor": [actor]})(bundle)

    assert ok(example(change)).body["consent"]["share_with"] == ["vasl"]


@pytest.mark.parametrize(
    ("change", "expression", "says"),
    [
        (r4_consent(OPTIN), "Bundle.entry[3].resource.provision", "does not say which partners"),
        (
            r4_consent(OPTIN, {"actor": [partner_actor("vasl")]}),
            "Bundle.entry[3].resource.provision.provision[0].type",
            "a nested provision needs a type",
        ),
        (
            lambda b: resource(b, 3).update(status="proposed"),
            "Bundle.entry[3].resource.status",
            "not the carer's decision yet",
        ),
        (
            lambda b: resource(b, 3).update(status="draft"),
            "Bundle.entry[3].resource.status",
            "not the carer's decision yet",
        ),
        (
            lambda b: (resource(b, 3).pop("provision"), resource(b, 3).pop("policyRule")),
            "Bundle.entry[3].resource.provision",
            "needs a provision naming the partners",
        ),
    ],
)
def test_a_consent_that_is_no_clear_decision_is_refused_saying_what_is_missing(
    change: Callable[[Bundle], object], expression: str, says: str
) -> None:
    error = rejected(example(change))
    assert error.status == 422
    assert [(i.expression, says in i.diagnostics) for i in error.issues] == [(expression, True)]


def test_the_sender_may_be_a_reference_to_an_organization_entry_with_its_ods_code() -> None:
    def change(bundle: Bundle) -> None:
        bundle["entry"].append(
            {
                "fullUrl": "https://example-surgery.example/fhir/Organization/C82001",
                "resource": {
                    "resourceType": "Organization",
                    "id": "C82001",
                    "identifier": [
                        {
                            "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                            "value": "C82001",
                        }
                    ],
                    "name": "Example Surgery",
                },
            }
        )
        resource(bundle, 0)["sender"] = {"reference": "Organization/C82001/_history/3"}

    translation = ok(example(change))
    assert translation.sender == "C82001"
    assert translation.body["identified_by"]["org_name"] == "Example Surgery"


def test_a_sender_reference_to_another_organization_is_forbidden() -> None:
    def change(bundle: Bundle) -> None:
        resource(bundle, 0)["sender"] = {
            "reference": "https://directory.spineservices.nhs.uk/STU3/Organization/X26"
        }

    error = rejected(example(change))
    assert error.status == 403


def test_versioned_references_are_resolved() -> None:
    def change(bundle: Bundle) -> None:
        resource(bundle, 1)["id"] = "carer-1"
        bundle["entry"][1]["fullUrl"] = "https://gp.example/fhir/Patient/carer-1"
        resource(bundle, 2)["subject"] = {"reference": "Patient/carer-1/_history/2"}
        resource(bundle, 3)["patient"] = {"reference": "Patient/carer-1/_history/2"}

    assert ok(example(change)).body["person"]["nhs_number"] == "9434765919"


def test_an_unknown_modifier_extension_is_refused_naming_where_it_is() -> None:
    def change(bundle: Bundle) -> None:
        resource(bundle, 3)["modifierExtension"] = [
            {"url": "https://example.org/not-really-consent", "valueBoolean": True}
        ]

    error = rejected(example(change))
    assert error.status == 422
    assert issues(error) == [("not-supported", "Bundle.entry[3].resource")]
