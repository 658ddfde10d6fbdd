"""Provenance rules at their edges (contract 6, docs/trust.md): the exact field and rule each
refusal names (a partner's developer reads them; they never carry the value), what the
registry's attestation covers, and what ``credited`` fills in. The main cases are in
test_provenance.py."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from services.registry.domain.provenance import (
    ATTESTATION,
    SELF_SOURCE,
    Attestor,
    ProvenanceRefused,
    attestation_key,
    credited,
    kafka_refusal,
    provenance_refusal,
)
from shared.events.inbound import IdentifiedBy

SECRET = "test-secret"
ATTESTOR = Attestor(attestation_key(SECRET))
SELF_BODY = {"identified_by": {"kind": "self", "org_code": None}}


def by(kind: str, org: str | None) -> IdentifiedBy:
    return IdentifiedBy(kind=kind, org_code=org)  # type: ignore[arg-type]


# -- the attestation -----------------------------------------------------------------------


def test_the_attestation_is_an_hmac_of_the_signed_fields_under_a_purpose_key() -> None:
    """Pinned with the standard library: an attestation written before an upgrade must still
    verify after it (events wait on the topic), so the key label and message layout are a
    format, not a detail."""
    key = hmac.new(SECRET.encode(), b"registry-inbound-attestation", hashlib.sha256).digest()
    assert attestation_key(SECRET) == key
    assert attestation_key(SECRET) != hashlib.sha256(SECRET.encode()).digest()
    message = "\x1f".join((SELF_SOURCE, "id-1", "carer.identified", "c1", "self", ""))
    expected = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    assert ATTESTOR.sign(SELF_SOURCE, "id-1", "carer.identified", "c1", SELF_BODY) == expected
    council = {"identified_by": {"kind": "council", "org_code": "LCC"}}
    message = "\x1f".join(("ods:LCC", "id-2", "carer.identified", "", "council", "LCC"))
    expected = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    assert ATTESTOR.sign("ods:LCC", "id-2", "carer.identified", None, council) == expected


def test_every_signed_field_changes_the_attestation() -> None:
    base = (SELF_SOURCE, "id-1", "carer.identified", "c1", SELF_BODY)
    signature = ATTESTOR.sign(*base)
    changed = [
        ("urn:carers:other", "id-1", "carer.identified", "c1", SELF_BODY),
        (SELF_SOURCE, "id-2", "carer.identified", "c1", SELF_BODY),
        (SELF_SOURCE, "id-1", "consent.updated", "c1", SELF_BODY),
        (SELF_SOURCE, "id-1", "carer.identified", "c2", SELF_BODY),
        (SELF_SOURCE, "id-1", "carer.identified", "c1", {"identified_by": {"kind": "gp"}}),
        (
            SELF_SOURCE,
            "id-1",
            "carer.identified",
            "c1",
            {"identified_by": {"kind": "self", "org_code": "X1"}},
        ),
    ]
    for other in changed:
        assert ATTESTOR.sign(*other) != signature, other
        assert not ATTESTOR.verifies(*other, signature)
    assert ATTESTOR.verifies(*base, signature)


def test_only_a_carer_identifieds_identified_by_is_signed() -> None:
    """Other event types have no ``identified_by``: whatever a body says there is not signed."""
    plain = ATTESTOR.sign(SELF_SOURCE, "id", "consent.updated", "c1", {})
    assert ATTESTOR.sign(SELF_SOURCE, "id", "consent.updated", "c1", SELF_BODY) == plain
    bare = ATTESTOR.sign(SELF_SOURCE, "id", "carer.identified", "c1", {})
    for body in ({"identified_by": "self"}, {"identified_by": {"kind": None}}, "not a body"):
        assert ATTESTOR.sign(SELF_SOURCE, "id", "carer.identified", "c1", body) == bare


@pytest.mark.parametrize("claimed", [None, "", 123, b"bytes", "0" * 64])
def test_a_missing_or_wrong_attestation_does_not_verify(claimed: Any) -> None:
    assert not ATTESTOR.verifies(SELF_SOURCE, "id", "carer.identified", "c1", SELF_BODY, claimed)


# -- HTTP and FHIR: refusals name the field and the rule -----------------------------------


def test_a_refusal_is_its_field_and_rule() -> None:
    refused = ProvenanceRefused("source", "must be yours")
    assert (refused.field, refused.rule, str(refused)) == (
        "source",
        "must be yours",
        "source: must be yours",
    )


@pytest.mark.parametrize(
    ("source", "sent", "role", "org", "enveloped", "field", "rule"),
    [
        (
            "ods:ADM",
            by("gp", "ADM"),
            "admin",
            "ADM",
            False,
            "token",
            "the role admin does not identify carers",
        ),
        (
            "ods:OTHER",
            by("gp", "C82001"),
            "gp",
            "C82001",
            False,
            "source",
            "must be ods:<your organisation code>, the organisation of your token",
        ),
        (
            "ods:C82001",
            by("council", "C82001"),
            "gp",
            "C82001",
            False,
            "identified_by.kind",
            "must be gp, the role of your token (only the carer may record kind self)",
        ),
        (
            "ods:C82001",
            by("council", "C82001"),
            "gp",
            "C82001",
            True,
            "data.identified_by.kind",
            "must be gp, the role of your token (only the carer may record kind self)",
        ),
        (
            "ods:C82001",
            by("gp", None),
            "gp",
            "C82001",
            True,
            "data.identified_by.org_code",
            "must be your organisation's code, the organisation of your token",
        ),
        (
            "ods:C82001",
            by("gp", "Y00001"),
            "gp",
            "C82001",
            False,
            "identified_by.org_code",
            "must be your organisation's code, the organisation of your token",
        ),
    ],
)
def test_each_provenance_refusal_names_its_field_and_rule(
    source: str, sent: IdentifiedBy, role: str, org: str, enveloped: bool, field: str, rule: str
) -> None:
    refused = provenance_refusal(source, sent, role, org, enveloped=enveloped)
    assert refused is not None and (refused.field, refused.rule) == (field, rule)


def test_the_callers_own_source_and_code_pass_in_any_case() -> None:
    assert (
        provenance_refusal("ODS:c82001", by("gp", "c82001"), "gp", "C82001", enveloped=True) is None
    )
    assert (
        provenance_refusal("ods:LCC", by("council", "LCC"), "council", "lcc", enveloped=False)
        is None
    )


# -- credited ------------------------------------------------------------------------------


def test_credited_leaves_what_it_cannot_credit_as_it_is() -> None:
    body = {"identified_by": {"kind": "gp"}}
    assert credited(body, "admin", "ADM") is body  # admin identifies nobody
    assert credited(["not", "an", "object"], "gp", "C82001") == ["not", "an", "object"]
    envelope = {"specversion": "1.0", "data": "not an object"}
    assert credited(envelope, "gp", "C82001") is envelope
    odd = {"identified_by": "gp"}  # not an object: left for validation to refuse
    assert credited(odd, "gp", "C82001") == {"identified_by": "gp"}


def test_credited_fills_an_empty_kind_and_code_and_keeps_the_envelope() -> None:
    assert credited({"identified_by": {"kind": "", "org_code": ""}}, "council", "LCC") == {
        "identified_by": {"kind": "council", "org_code": "LCC"}
    }
    assert credited({"identified_by": None, "x": 1}, "vasl", "V1") == {
        "identified_by": {"kind": "vasl", "org_code": "V1"},
        "x": 1,
    }
    envelope = {"specversion": "1.0", "id": "e1", "data": {"person": {}}}
    assert credited(envelope, "hospital", "RWE") == {
        "specversion": "1.0",
        "id": "e1",
        "data": {"person": {}, "identified_by": {"kind": "hospital", "org_code": "RWE"}},
    }
    assert envelope["data"] == {"person": {}}
    # What the body says is kept, for provenance_refusal to judge.
    said = {"identified_by": {"kind": "council", "org_code": "Y00001"}}
    assert credited(said, "gp", "C82001") == said


# -- Kafka ---------------------------------------------------------------------------------

SELF_REFUSED = (
    f"{ATTESTATION}: source {SELF_SOURCE} and identified_by.kind self are written only by the "
    "registry's self-service pages, which attest them; this event has no valid attestation"
)
PLATFORM_REFUSED = (
    "source: urn:carers:* sources belong to the platform's own services; a partner writes as "
    "ods:<its organisation code>"
)
ORG_REFUSED = (
    "data.identified_by.org_code: must be the organisation named by the event's source (ods:<code>)"
)
PRACTICE_REFUSED = (
    "data.practice_ods_code: must be the practice named by the event's source (ods:<code>): "
    "a practice records its own codings only"
)


def identified(kind: str, org: str | None = None) -> dict[str, Any]:
    return {"identified_by": {"kind": kind, "org_code": org}}


@pytest.mark.parametrize(
    ("source", "event_type", "data", "attested", "reason"),
    [
        (SELF_SOURCE, "consent.updated", {}, False, SELF_REFUSED),
        (SELF_SOURCE, "consent.updated", {}, True, None),
        ("ods:C82001", "carer.identified", identified("self"), False, SELF_REFUSED),
        ("ods:C82001", "carer.identified", identified("self"), True, None),
        (
            "urn:carers:referrals",
            "carer.identified",
            identified("gp", "C82001"),
            False,
            PLATFORM_REFUSED,
        ),
        ("urn:carers:referrals", "carer.identified", identified("gp", "C82001"), True, None),
        ("ods:C82001", "carer.identified", identified("gp", "Y00001"), False, ORG_REFUSED),
        ("ods:C82001", "carer.identified", identified("gp", "c82001"), False, None),
        ("ods:C82001", "carer.identified", identified("gp"), False, None),
        # Not an ods: source: no organisation to compare with.
        ("https://partner.example", "carer.identified", identified("gp", "Y00001"), False, None),
        ("ods:C82001", "gp.carer_coded", {"practice_ods_code": "C84001"}, False, PRACTICE_REFUSED),
        ("ods:C82001", "gp.carer_coded", {"practice_ods_code": "c82001"}, False, None),
        ("ods:C82001", "gp.carer_coded", {"practice_ods_code": None}, False, None),
        ("https://x.example", "gp.carer_coded", {"practice_ods_code": "C84001"}, False, None),
        # Only a coding names a practice: the field means nothing on other events.
        ("ods:C82001", "consent.updated", {"practice_ods_code": "C84001"}, False, None),
    ],
)
def test_each_kafka_refusal_names_its_field_and_rule(
    source: str, event_type: str, data: dict[str, Any], attested: bool, reason: str | None
) -> None:
    assert kafka_refusal(source, event_type, data, attested) == reason
