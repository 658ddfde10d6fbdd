"""Provenance is proven, never asserted (contract 6.1): the pure rules.

Issue 13 observed a hospital token storing ``identified_by.kind = council`` with another
organisation's code, and a GP token storing a CloudEvent from ``urn:carers:selfservice``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.registry.domain.provenance import (
    ATTESTATION,
    SELF_SOURCE,
    Attestor,
    attestation_key,
    credited,
    kafka_refusal,
    provenance_refusal,
)
from services.registry.service_layer.trust import attest, trusted_parser
from shared.events import CloudEvent, InvalidEvent
from shared.events.inbound import IdentifiedBy

EXAMPLE = Path(__file__).resolve().parents[3] / "docs/examples/cloudevent-carer-identified.json"
ATTESTOR = Attestor(attestation_key("test-secret"))


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())  # type: ignore[no-any-return]


def by(kind: str, org: str | None) -> IdentifiedBy:
    return IdentifiedBy(kind=kind, org_code=org)  # type: ignore[arg-type]


# -- HTTP and FHIR ------------------------------------------------------------------------


def test_the_callers_own_identification_passes() -> None:
    assert (
        provenance_refusal("ods:RWE", by("hospital", "RWE"), "hospital", "RWE", enveloped=False)
        is None
    )
    assert (
        provenance_refusal("ods:C82001", by("gp", "c82001"), "gp", "C82001", enveloped=True) is None
    )


def test_a_hospital_naming_the_council_kind_is_refused_naming_the_field() -> None:
    refused = provenance_refusal("ods:RWE", by("council", "RWE"), "hospital", "RWE", enveloped=True)
    assert refused is not None and refused.field == "data.identified_by.kind"


def test_another_organisations_code_is_refused_naming_the_field() -> None:
    refused = provenance_refusal(
        "ods:RWE", by("hospital", "LCC"), "hospital", "RWE", enveloped=False
    )
    assert refused is not None and refused.field == "identified_by.org_code"
    assert "LCC" not in str(refused)  # the rule, never the value


def test_a_gp_cannot_send_as_self_service_or_as_the_carer() -> None:
    spoofed = provenance_refusal(SELF_SOURCE, by("gp", "C82001"), "gp", "C82001", enveloped=True)
    assert spoofed is not None and spoofed.field == "source"
    as_carer = provenance_refusal("ods:C82001", by("self", None), "gp", "C82001", enveloped=True)
    assert as_carer is not None and as_carer.field == "data.identified_by.kind"


def test_credited_fills_in_what_the_body_leaves_out_and_keeps_what_it_says() -> None:
    body = example()["data"]
    del body["identified_by"]
    assert credited(body, "vasl", "VASL1")["identified_by"] == {"kind": "vasl", "org_code": "VASL1"}
    partial = {**body, "identified_by": {"org_name": "Example"}}
    assert credited(partial, "gp", "C82001")["identified_by"] == {
        "org_name": "Example",
        "kind": "gp",
        "org_code": "C82001",
    }
    envelope = {**example(), "data": {**body, "identified_by": {"kind": "council"}}}
    filled = credited(envelope, "hospital", "RWE")
    assert filled["data"]["identified_by"] == {"kind": "council", "org_code": "RWE"}
    assert "identified_by" not in body  # the caller's payload is not changed in place


# -- Kafka --------------------------------------------------------------------------------


def test_self_service_source_without_attestation_is_refused() -> None:
    reason = kafka_refusal(SELF_SOURCE, "carer.identified", example()["data"], attested=False)
    assert reason is not None and reason.startswith(ATTESTATION)


def test_kind_self_from_a_partner_source_without_attestation_is_refused() -> None:
    data = {**example()["data"], "identified_by": {"kind": "self"}}
    reason = kafka_refusal("ods:C82001", "carer.identified", data, attested=False)
    assert reason is not None and reason.startswith(ATTESTATION)


def test_another_platform_source_from_outside_is_refused() -> None:
    reason = kafka_refusal("urn:carers:registry", "consent.updated", {}, attested=False)
    assert reason is not None and reason.startswith("source:")


def test_an_ods_source_naming_another_organisation_is_refused() -> None:
    data = {**example()["data"], "identified_by": {"kind": "gp", "org_code": "Y00001"}}
    reason = kafka_refusal("ods:C82001", "carer.identified", data, attested=False)
    assert reason is not None and reason.startswith("data.identified_by.org_code")
    assert "Y00001" not in reason and "C82001" not in reason


def test_a_consistent_partner_event_needs_no_attestation() -> None:
    assert kafka_refusal("ods:C82001", "carer.identified", example()["data"], False) is None
    assert kafka_refusal("ods:C82001", "consent.updated", {"share_with": []}, False) is None


def _raw(event: CloudEvent) -> bytes:
    return event.to_bytes()


def test_the_registrys_attestation_is_accepted_and_cannot_be_moved_or_forged() -> None:
    parse = trusted_parser(ATTESTOR)
    data = {**example()["data"], "identified_by": {"kind": "self"}}
    event = CloudEvent.new("carer.identified", SELF_SOURCE, "REF-1234", data)
    envelope, _ = parse(_raw(attest(event, ATTESTOR)))
    assert envelope.id == event.id

    with pytest.raises(InvalidEvent) as unattested:
        parse(_raw(event))
    assert unattested.value.reason.startswith(ATTESTATION)

    forged = attest(event, Attestor(attestation_key("another-secret")))
    with pytest.raises(InvalidEvent):
        parse(_raw(forged))

    # Lifted onto an event naming another carer (the subject is signed): refused.
    signature = attest(event, ATTESTOR).extensions[ATTESTATION]
    moved = event.model_copy(update={"subject": "other-carer", ATTESTATION: signature})
    with pytest.raises(InvalidEvent):
        parse(_raw(moved))


def test_a_consent_recorded_in_the_future_is_refused_on_kafka_naming_the_field() -> None:
    parse = trusted_parser(ATTESTOR)
    data = example()["data"]
    data["consent"]["recorded_at"] = "2099-01-01T00:00:00Z"
    with pytest.raises(InvalidEvent) as future:
        parse(_raw(CloudEvent.new("carer.identified", "ods:C82001", "9434765919", data)))
    assert future.value.reason.startswith("data.consent.recorded_at: is in the future")

    change = {"nhs_number": "9434765919", "share_with": ["vasl"], "contact": True}
    late = CloudEvent.new("consent.updated", "ods:C82001", "9434765919", change)
    late = late.model_copy(update={"time": datetime.now(UTC) + timedelta(days=3650)})
    with pytest.raises(InvalidEvent) as pinned:
        parse(_raw(late))
    assert pinned.value.reason.startswith("time: is in the future")

    soon = {**change, "recorded_at": (datetime.now(UTC) + timedelta(minutes=2)).isoformat()}
    parse(_raw(CloudEvent.new("consent.updated", "ods:C82001", "9434765919", soon)))
