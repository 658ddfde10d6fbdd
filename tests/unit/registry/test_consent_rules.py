"""Consent changes are attributed and bounded (contract 6.2): the pure rules, and the carer
record applying them.

Issue 13 observed VASL posting ``share_with: [vasl]`` for a carer who had consented to the
GP only (its read went from 403 to 200), and a consent recorded in 2099 pinning the record.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.registry.domain.consent import (
    ConsentRefused,
    Recorder,
    consent_recorder,
    decide,
)
from services.registry.domain.model import Carer, Source
from shared.events.inbound import CarerIdentified

EXAMPLE = Path(__file__).resolve().parents[3] / "docs/examples/cloudevent-carer-identified.json"
AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
GP_ONLY = {"share_with": ["gp"], "contact": True, "recorded_at": "2026-03-01T10:00:00+00:00"}
VASL = Recorder("vasl", "VASL1", "VASL")
GP = Recorder("gp", "C82001", "Example Surgery")
CARER = Recorder("self", carer=True)


def identification(**changes: Any) -> CarerIdentified:
    data = json.loads(EXAMPLE.read_text())["data"] | changes
    return CarerIdentified.model_validate(data)


def test_a_partner_never_widens_sharing_to_itself() -> None:
    decision = decide(GP_ONLY, ["gp", "vasl"], True, AT, VASL, AT)
    assert decision.applied is None  # nothing changes: the self-grant is all there was
    assert decision.held_share_with == ["vasl"]


def test_a_partner_recording_the_carers_agreement_widens_to_others_and_is_told() -> None:
    decision = decide(GP_ONLY, ["gp", "council", "vasl"], True, AT, VASL, AT)
    assert decision.applied is not None
    assert decision.applied["share_with"] == ["gp", "council"]
    assert decision.added_share_with == ["council"] and decision.held_share_with == ["vasl"]
    assert decision.history is not None
    assert decision.history["recorded_by"] == {
        "kind": "vasl",
        "org_code": "VASL1",
        "org_name": "VASL",
    }
    assert decision.history["on_behalf_of"] == "carer"


def test_narrowing_is_always_applied_even_by_a_partner_for_itself() -> None:
    held = {"share_with": ["gp", "vasl"], "contact": True, "recorded_at": GP_ONLY["recorded_at"]}
    decision = decide(held, ["gp"], False, AT, VASL, AT)
    assert decision.applied is not None
    assert decision.applied["share_with"] == ["gp"] and decision.applied["contact"] is False
    assert decision.history is not None
    assert decision.history["changed"]["removed_share_with"] == ["vasl"]
    assert not decision.widened


def test_the_carer_signed_in_may_widen_anything() -> None:
    decision = decide(GP_ONLY, ["gp", "vasl"], True, AT, CARER, AT)
    assert decision.applied is not None and decision.applied["share_with"] == ["gp", "vasl"]
    assert decision.added_share_with == ["vasl"] and not decision.held


def test_an_organisation_that_never_identified_the_carer_widens_nothing() -> None:
    stranger = Recorder("other", "X1", known=False)
    decision = decide({**GP_ONLY, "contact": False}, ["gp", "council"], True, AT, stranger, AT)
    assert decision.applied is None
    assert decision.held_share_with == ["council"] and decision.held_contact


def test_a_consent_recorded_in_the_future_is_refused() -> None:
    with pytest.raises(ConsentRefused, match=r"^consent\.recorded_at: is in the future"):
        decide(GP_ONLY, ["gp"], True, datetime(2099, 1, 1, tzinfo=UTC), CARER, AT)
    decide(GP_ONLY, ["gp"], False, AT + timedelta(minutes=4), CARER, AT)  # clock skew


def test_a_consent_older_than_the_one_held_does_not_replace_it() -> None:
    older = datetime(2026, 1, 1, tzinfo=UTC)
    decision = decide(GP_ONLY, [], False, older, CARER, AT)
    assert decision.stale and decision.applied is None


def test_the_first_consent_on_a_brand_new_record_is_applied_as_given() -> None:
    empty = {"share_with": [], "contact": False}
    decision = decide(empty, ["gp", "council", "vasl"], True, AT, VASL, AT, first=True)
    assert decision.applied is not None
    assert decision.applied["share_with"] == ["gp", "council", "vasl"]
    assert not decision.widened  # carer.registered carries it; no consent.widened


def test_consent_updated_from_an_ods_source_is_recorded_as_the_kind_it_identified() -> None:
    sources = [Source("vasl", "VASL1", "VASL", "2026-03-01T10:00:00+00:00", "e1")]
    assert consent_recorder("ods:vasl1", None, "c1", sources).kind == "vasl"
    stranger = consent_recorder("ods:Y0001", None, "c1", sources)
    assert not stranger.known and stranger.org_code == "Y0001"
    assert consent_recorder("urn:carers:selfservice", "c1", "c1", sources).carer
    assert not consent_recorder("urn:carers:selfservice", "other", "c1", sources).known


# -- the record applying the rules ----------------------------------------------------------


def gp_only_carer() -> Carer:
    carer = Carer.register(
        "c1",
        identification(consent={"share_with": ["gp"], "contact": True}),
        "e1",
        AT - timedelta(days=1),
    )
    carer.pending_events.clear()
    return carer


def test_vasl_identifying_with_share_with_vasl_holds_a_claim_and_keeps_consent() -> None:
    carer = gp_only_carer()
    vasl = identification(
        identified_by={"kind": "vasl", "org_code": "VASL1"},
        consent={"share_with": ["gp", "vasl"], "contact": True},
    )
    carer.record_identification(vasl, "e2", AT)
    assert carer.consent["share_with"] == ["gp"]
    assert [c.kind for c in carer.pending_claims] == ["consent"]
    assert carer.pending_claims[0].proposal["add_share_with"] == ["vasl"]
    assert [e.type for e in carer.pending_events] == ["carer.updated"]


def test_an_applied_widening_is_announced_after_the_records_update() -> None:
    carer = gp_only_carer()
    carer.update_consent(["gp", "council"], True, GP, AT, "e3")
    assert [e.type for e in carer.pending_events] == ["carer.updated", "consent.widened"]
    widened = carer.pending_events[1].data
    assert widened["added_share_with"] == ["council"] and widened["contact_added"] is False
    assert widened["recorded_by"] == {
        "kind": "gp",
        "org_code": "C82001",
        "org_name": "Example Surgery",
    }
    assert widened["on_behalf_of"] == "carer" and widened["share_with"] == ["gp", "council"]
    assert carer.consent_history[-1]["recorded_by"]["org_code"] == "C82001"


def test_a_confirmed_consent_claim_applies_and_is_attributed_to_who_confirmed() -> None:
    carer = gp_only_carer()
    officer = Recorder("council", "LCC", None, "officer-1", carer=True)
    carer.confirm_consent_claim({"add_share_with": ["vasl"]}, officer, AT, "e2")
    assert carer.consent["share_with"] == ["gp", "vasl"]
    assert carer.consent_history[-1]["recorded_by"]["subject"] == "officer-1"
    assert carer.pending_events[-1].type == "consent.widened"
