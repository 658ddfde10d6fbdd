"""The carer's GP practice from FHIR ``Patient.generalPractitioner``, as NHS England writes it
(issue 17): PDS's published Patient example (tests/data/nhs-pds, origin in its README) inside
a message built from the UK Core examples, read by the registry's FHIR adapter exactly as
``POST /fhir/$process-message`` reads it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.reference import Reference

from tests.interop.test_fhir_ukcore import (
    BASE,
    SENDER,
    accepted,
    carer_finding,
    header,
    published,
    refused,
)

PDS = Path(__file__).resolve().parents[1] / "data" / "nhs-pds" / "Patient.json"


def pds_patient() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(PDS.read_text())
    return loaded


def message(patient: dict[str, Any], *others: Any) -> dict[str, Any]:
    """The UK Core message with this Patient as the carer (the finding's subject follows)."""
    finding = carer_finding()
    finding.subject = Reference(reference=f"Patient/{patient['id']}")
    resources = (header(), Patient.model_validate(patient), finding, *others)
    built = Bundle(
        id="6a1d2c3b-0f4e-4c2a-9b8d-7e6f5a4b3c2d",
        type="message",
        timestamp="2026-10-31T09:00:00Z",
        entry=[
            BundleEntry(fullUrl=f"{BASE}{r.get_resource_type()}/{r.id}", resource=r)
            for r in resources
        ],
    )
    return json.loads(built.model_dump_json(exclude_none=True))  # type: ignore[no-any-return]


def richard_with(general_practitioner: list[dict[str, Any]]) -> dict[str, Any]:
    patient = copy.deepcopy(published("Patient-RichardSmith"))
    patient["generalPractitioner"] = general_practitioner
    return patient


def test_the_pds_patient_example_names_its_gp_practice() -> None:
    body = accepted(message(pds_patient()))
    assert body["person"]["gp_practice_ods"] == "Y12345"
    assert body["person"]["nhs_number"] == "9000000009"


def test_pds_general_practitioner_on_the_uk_core_patient_is_read() -> None:
    body = accepted(message(richard_with(pds_patient()["generalPractitioner"])))
    assert body["person"]["gp_practice_ods"] == "Y12345"
    assert body["identified_by"]["org_code"] == SENDER  # the sender is still the hospital


def test_an_ods_identifier_on_the_reference_names_the_practice() -> None:
    reference = {
        "type": "Organization",
        "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "c82001"},
    }
    assert accepted(message(richard_with([reference])))["person"]["gp_practice_ods"] == "C82001"


def test_an_organization_in_the_bundle_names_the_practice() -> None:
    practice = Organization.model_validate(
        {
            "resourceType": "Organization",
            "id": "practice",
            "identifier": [
                {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "C84001"}
            ],
            "name": "Example Medical Practice",
        }
    )
    patient = richard_with([{"reference": "Organization/practice"}])
    assert accepted(message(patient, practice))["person"]["gp_practice_ods"] == "C84001"


def test_a_practitioner_is_not_a_practice_and_no_practice_is_recorded() -> None:
    patient = richard_with([{"reference": "Practitioner/dr-jones", "type": "Practitioner"}])
    assert "gp_practice_ods" not in accepted(message(patient))["person"]


@pytest.mark.parametrize("code", ["Y-12345", "Y1"])
def test_a_malformed_practice_code_is_refused_naming_the_element(code: str) -> None:
    reference = {
        "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": code}
    }
    error = refused(message(richard_with([reference])))
    assert error.status == 422
    assert [i.expression for i in error.issues] == [
        "Bundle.entry[1].resource.generalPractitioner[0].identifier.value"
    ]
