"""FHIR as NHS England writes it: message Bundles built with fhir.resources from the UK Core
example resources (tests/data/fhir-ukcore, their origin in its README), read by the registry's
FHIR adapter exactly as ``POST /fhir/$process-message`` reads them."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.messageheader import MessageHeader
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.relatedperson import RelatedPerson

from services.registry.adapters.fhir import EVENT_CODES, PARTNER, FhirRejected, translate
from shared.events import CarerIdentified

DATA = Path(__file__).resolve().parents[1] / "data" / "fhir-ukcore"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SENDER = "X26"  # the UK Core MessageHeader's sender: .../Organization/X26 in the ODS directory
PATIENT = "Patient/UKCore-Patient-RichardSmith-Example"
BASE = "https://fhir.example-hospital.nhs.uk/"


def published(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / f"UKCore-{name}-Example.json").read_text())
    return loaded


def header(event_code: str = "carer.identified") -> MessageHeader:
    raw = published("MessageHeader-Discharge")
    raw["eventCoding"] = {"system": EVENT_CODES, "code": event_code}
    return MessageHeader.model_validate(raw)


def carer_finding() -> Observation:
    """The UK Core Observation example, coded as the carer finding (our only change)."""
    raw = published("Observation-HeavyDrinker")
    raw["code"] = {
        "coding": [
            {
                "system": "http://snomed.info/sct",
                "code": "224484003",
                "display": "Patient themselves providing care",
            }
        ]
    }
    raw.pop("valueQuantity")
    raw["note"] = [{"text": "Looks after his wife, Joy."}]
    return Observation.model_validate(raw)


def bundle(*resources: Any, event_code: str = "carer.identified") -> dict[str, Any]:
    """A message Bundle as fhir.resources builds it, entries at ``BASE<Type>/<id>``."""
    first = header(event_code)
    entries = [
        BundleEntry(fullUrl=f"{BASE}{r.get_resource_type()}/{r.id}", resource=r)
        for r in (first, Patient.model_validate(published("Patient-RichardSmith")), *resources)
    ]
    built = Bundle(
        id="0f5b4c1e-3c8e-4b8e-9d61-3a1f0e2b7c44",
        type="message",
        timestamp="2026-10-31T09:00:00Z",
        entry=entries,
    )
    return json.loads(built.model_dump_json(exclude_none=True))  # type: ignore[no-any-return]


def consent_as_published() -> Consent:
    return Consent.model_validate(published("Consent-ForInformationAccess"))


def consent_with_r4_permits(*partners: str) -> Consent:
    """The UK Core Consent made a decision the R4 way: policyRule OPTIN, no root type, a
    nested permit provision naming the partners as actors."""
    raw = copy.deepcopy(published("Consent-ForInformationAccess"))
    raw["policyRule"] = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]
    }
    role = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "PROV"}]
    }
    raw["provision"]["provision"] = [
        {
            "type": "permit",
            "actor": [
                {"role": role, "reference": {"identifier": {"system": PARTNER, "value": p}}}
                for p in partners
            ],
        }
    ]
    return Consent.model_validate(raw)


def accepted(message: dict[str, Any]) -> dict[str, Any]:
    translation = translate(message, kind="hospital", org=SENDER, now=NOW)
    CarerIdentified.model_validate(translation.body)  # what the registry will apply
    return translation.body


def refused(message: dict[str, Any]) -> FhirRejected:
    with pytest.raises(FhirRejected) as caught:
        translate(message, kind="hospital", org=SENDER, now=NOW)
    return caught.value


def test_uk_core_resources_with_a_directory_sender_reference_identify_the_carer() -> None:
    body = accepted(bundle(carer_finding()))
    assert body["identified_by"] == {"kind": "hospital", "org_code": "X26", "org_name": None}
    assert body["person"]["nhs_number"] == "9912003888"
    assert body["person"]["postcode"] == "LS17 7DF"
    assert body["story"] == "Looks after his wife, Joy."


def test_the_uk_core_related_person_is_who_the_carer_looks_after() -> None:
    joy = RelatedPerson.model_validate(published("RelatedPerson-JoySmith"))
    body = accepted(bundle(carer_finding(), joy))
    assert body["caring_for"][0]["relationship"] == "spouse_or_partner"


def test_the_uk_core_consent_as_published_is_refused_not_stored_as_no_consent() -> None:
    error = refused(bundle(carer_finding(), consent_as_published()))
    assert error.status == 422
    [issue] = error.issues
    assert issue.expression == "Bundle.entry[3].resource.provision"
    assert "does not say which partners" in issue.diagnostics


def test_the_uk_core_consent_with_r4_nested_permits_shares_with_those_partners() -> None:
    body = accepted(bundle(carer_finding(), consent_with_r4_permits("council", "vasl")))
    assert body["consent"]["share_with"] == ["council", "vasl"]
    assert body["consent"]["contact"] is True
    assert body["consent"]["recorded_at"] == "2019-12-10T11:15:00+00:00"


def test_the_uk_core_discharge_event_is_not_an_event_this_endpoint_accepts() -> None:
    error = refused(bundle(carer_finding(), event_code="306689006"))
    assert error.status == 422
    assert [i.expression for i in error.issues] == ["Bundle.entry[0].resource.eventCoding"]


def test_a_uk_core_sender_that_is_not_the_callers_organisation_is_forbidden() -> None:
    with pytest.raises(FhirRejected) as caught:
        translate(bundle(carer_finding()), kind="hospital", org="RY6", now=NOW)
    assert caught.value.status == 403


def test_the_uk_core_style_example_in_the_partner_guide_is_accepted_as_it_says() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "partners.md").read_text()
    marker = "<!-- example: fhir-ukcore-bundle file=ukcore-bundle.json -->\n```json\n"
    documented = json.loads(guide.split(marker, 1)[1].split("\n```", 1)[0])
    translation = translate(documented, kind="gp", org="C82001", now=NOW)
    body = translation.body
    CarerIdentified.model_validate(body)
    assert translation.sender == "C82001"
    assert body["identified_by"]["org_name"] == "Example Surgery"
    assert body["consent"]["share_with"] == ["council", "vasl"]
    assert body["consent"]["contact"] is True
