"""Consent rules at their edges (contract 6.2, docs/trust.md): who a recorder is, the clock
skew allowed on ``recorded_at``, what the history and ``consent.widened`` say, and what is
held as a claim. The main rules are in test_consent_rules.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from services.registry.domain.consent import (
    ConsentDecision,
    ConsentRefused,
    PendingClaim,
    Recorder,
    check_recorded_at,
    consent_recorder,
    decide,
    parse_time,
    recorder_of,
    widened_event,
)
from services.registry.domain.model import Carer, Source

AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
HELD_AT = "2026-03-01T10:00:00+00:00"
GP_ONLY = {"share_with": ["gp"], "contact": False, "recorded_at": HELD_AT}
GP = Recorder("gp", "C82001", "Example Surgery")
VASL = Recorder("vasl", "VASL1", "VASL")
HOSPITAL = Recorder("hospital", "RWE", "Royal Infirmary")
STRANGER = Recorder("other", "X1", known=False)
CARER = Recorder("self", carer=True)


# -- who recorded it -----------------------------------------------------------------------


def test_recorded_by_names_the_organisation_and_an_officer_only_when_there_is_one() -> None:
    assert GP.public() == {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"}
    officer = Recorder("council", "LCC", None, "officer-1", carer=True)
    assert officer.public() == {
        "kind": "council",
        "org_code": "LCC",
        "org_name": None,
        "subject": "officer-1",
    }
    assert Recorder("self").public() == {"kind": "self", "org_code": None, "org_name": None}
    assert (Recorder("gp").carer, Recorder("gp").known) == (False, True)


def identification(kind: str, org: str | None = None, name: str | None = None) -> Any:
    return SimpleNamespace(identified_by=SimpleNamespace(kind=kind, org_code=org, org_name=name))


def test_a_self_identification_is_the_carer_only_when_signed_in_as_that_record() -> None:
    assert recorder_of(identification("self"), "c1", "c1") == Recorder("self", carer=True)
    assert recorder_of(identification("self"), "c2", "c1") == Recorder("self", known=False)
    # A brand-new record has no id to be signed in as: not proven.
    assert recorder_of(identification("self"), None, None) == Recorder("self", known=False)
    assert recorder_of(identification("gp", "C82001", "Surgery"), "c1", "c1") == Recorder(
        "gp", "C82001", "Surgery"
    )


def test_a_consent_updates_recorder_is_the_kind_that_organisation_identified_the_carer_as() -> None:
    sources = [
        Source("hospital", "RWE", "Royal Infirmary", HELD_AT, "e1"),
        Source("self", "RWE", None, HELD_AT, "e2"),
        Source("council", None, None, HELD_AT, "e3"),
    ]
    assert consent_recorder("ods:rwe", None, "c1", sources) == Recorder(
        "hospital", "RWE", "Royal Infirmary"
    )
    # The latest identification by that organisation decides.
    later = [*sources, Source("vasl", "rwe", "Renamed", HELD_AT, "e4")]
    assert consent_recorder("ods:RWE", None, "c1", later) == Recorder("vasl", "rwe", "Renamed")
    assert consent_recorder("ods:LCC", None, "c1", sources) == Recorder("other", "LCC", known=False)
    assert consent_recorder("urn:other", "c1", "c1", sources) == Recorder("other", known=False)
    signed_in = consent_recorder("urn:carers:selfservice", "c1", "c1", sources)
    assert signed_in == Recorder("self", carer=True)
    stranger = consent_recorder("urn:carers:selfservice", None, "c1", sources)
    assert stranger == Recorder("self", known=False)


# -- times ---------------------------------------------------------------------------------


def test_times_are_read_from_datetimes_and_iso_strings_with_z() -> None:
    assert parse_time(AT) is AT
    assert parse_time("2026-03-01T10:00:00Z") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_time("") is None
    assert parse_time(None) is None
    assert parse_time(20260301) is None


def test_five_minutes_of_clock_skew_are_allowed_and_no_more() -> None:
    check_recorded_at(None, AT)
    check_recorded_at(AT + timedelta(minutes=5), AT)
    with pytest.raises(ConsentRefused) as refused:
        check_recorded_at(AT + timedelta(minutes=5, microseconds=1), AT)
    assert str(refused.value) == (
        "consent.recorded_at: is in the future (more than 5 minutes after the event's time)"
    )


# -- the decision --------------------------------------------------------------------------


def test_a_consent_recorded_at_the_same_instant_as_the_one_held_is_not_stale() -> None:
    same = decide(GP_ONLY, ["gp", "council"], False, datetime.fromisoformat(HELD_AT), GP, AT)
    assert not same.stale and same.applied is not None
    # Without its own time, a consent is as of the event; the first consent is never stale.
    assert not decide(GP_ONLY, [], False, None, GP, AT).stale
    older = datetime(2026, 1, 1, tzinfo=UTC)
    assert decide(GP_ONLY, [], False, older, GP, AT).stale
    first = decide(GP_ONLY, ["vasl"], True, older, GP, AT, first=True)
    assert not first.stale and first.applied is not None
    assert decide({"share_with": ["gp"]}, [], False, older, GP, AT).applied is not None


def test_the_history_says_who_what_and_what_was_held() -> None:
    held = {"share_with": ["gp", "vasl"], "contact": False, "recorded_at": HELD_AT}
    decision = decide(held, ["council", "gp"], True, None, GP, AT)
    assert decision.applied == {
        "share_with": ["council", "gp"],
        "contact": True,
        "recorded_at": AT.isoformat(),
    }
    assert decision.history == {
        **decision.applied,
        "recorded_by": GP.public(),
        "on_behalf_of": "carer",
        "changed": {
            "added_share_with": ["council"],
            "removed_share_with": ["vasl"],
            "contact": "added",
            "held_share_with": [],
            "held_contact": False,
            "first": False,
        },
        "source": "gp:C82001",
    }
    assert (decision.added_share_with, decision.contact_added) == (["council"], True)
    assert decision.widened and not decision.held and not decision.stale


def test_contact_withdrawn_is_recorded_as_removed_and_unchanged_when_it_is_not() -> None:
    held = {"share_with": ["gp"], "contact": True, "recorded_at": HELD_AT}
    removed = decide(held, ["gp"], False, None, VASL, AT)
    assert removed.applied is not None and removed.applied["contact"] is False
    assert removed.history is not None and removed.history["changed"]["contact"] == "removed"
    assert not removed.widened
    kept = decide(held, ["gp", "council"], True, None, VASL, AT)
    assert kept.applied is not None and kept.applied["contact"] is True
    assert kept.history is not None and kept.history["changed"]["contact"] == "unchanged"
    assert kept.contact_added is False and kept.widened


def test_nothing_proposed_that_differs_changes_nothing() -> None:
    same = decide(GP_ONLY, ["gp"], False, None, GP, AT)
    assert same == ConsentDecision()
    assert not same.widened and not same.held


def test_a_hospital_is_no_consent_partner_so_it_holds_nothing_back() -> None:
    decision = decide(GP_ONLY, ["gp", "council", "vasl"], True, None, HOSPITAL, AT)
    assert decision.applied is not None
    assert decision.applied["share_with"] == ["gp", "council", "vasl"]
    assert decision.held_share_with == [] and decision.contact_added
    assert decision.history is not None and decision.history["source"] == "hospital:RWE"


def test_a_partner_may_add_contact_but_a_stranger_s_contact_is_held() -> None:
    by_partner = decide(GP_ONLY, ["gp"], True, None, VASL, AT)
    assert by_partner.applied is not None and by_partner.applied["contact"] is True
    assert by_partner.contact_added and not by_partner.held_contact
    by_stranger = decide(GP_ONLY, ["gp"], True, None, STRANGER, AT)
    assert by_stranger.applied is None
    assert by_stranger.held_contact and by_stranger.held and not by_stranger.widened
    # Narrowing by a stranger is still applied (a withdrawal is always honoured).
    narrowed = decide({**GP_ONLY, "contact": True}, [], False, None, STRANGER, AT)
    assert narrowed.applied is not None
    assert narrowed.applied["share_with"] == [] and narrowed.applied["contact"] is False
    assert narrowed.history is not None and narrowed.history["source"] == "other:X1"


def test_a_first_consent_is_applied_whole_and_announces_no_widening() -> None:
    empty = {"share_with": [], "contact": False}
    decision = decide(empty, ["vasl"], True, None, STRANGER, AT, first=True)
    assert decision.applied == {
        "share_with": ["vasl"],
        "contact": True,
        "recorded_at": AT.isoformat(),
    }
    assert (decision.added_share_with, decision.contact_added, decision.held) == ([], False, False)
    assert decision.history is not None
    assert decision.history["changed"]["first"] is True
    assert decision.history["changed"]["added_share_with"] == ["vasl"]
    # Even a first consent of nothing is recorded.
    none = decide(empty, [], False, None, GP, AT, first=True)
    assert none.applied == {"share_with": [], "contact": False, "recorded_at": AT.isoformat()}


def test_the_carer_signed_in_widens_contact_too() -> None:
    decision = decide(GP_ONLY, ["gp"], True, None, Recorder("self", known=False, carer=True), AT)
    assert decision.applied is not None and decision.applied["contact"] is True
    assert decision.contact_added and not decision.held


# -- consent.widened -----------------------------------------------------------------------


def test_consent_widened_says_what_was_added_and_who_recorded_it() -> None:
    decision = decide(GP_ONLY, ["gp", "council"], True, None, VASL, AT)
    assert widened_event("c1", decision, VASL) == {
        "carer_id": "c1",
        "added_share_with": ["council"],
        "contact_added": True,
        "share_with": ["gp", "council"],
        "contact": True,
        "recorded_by": {"kind": "vasl", "org_code": "VASL1", "org_name": "VASL"},
        "on_behalf_of": "carer",
        "recorded_at": AT.isoformat(),
    }
    narrowed = decide(GP_ONLY, [], False, None, VASL, AT)
    assert narrowed.applied is not None and widened_event("c1", narrowed, VASL) is None
    held_only = decide(GP_ONLY, ["gp", "vasl"], False, None, VASL, AT)
    assert widened_event("c1", held_only, VASL) is None
    contact_only = decide(GP_ONLY, ["gp"], True, None, VASL, AT)
    widened = widened_event("c1", contact_only, VASL)
    assert widened is not None and widened["added_share_with"] == [] and widened["contact_added"]


# -- the record keeping its consent --------------------------------------------------------


def carer() -> Carer:
    record = Carer("c1", None, None, None, None, None)
    record.consent = dict(GP_ONLY)
    return record


def test_a_self_grant_is_held_as_a_claim_naming_who_and_when() -> None:
    record = carer()
    recorded = AT - timedelta(hours=1)
    decision = record.apply_consent(["gp", "vasl"], True, recorded, VASL, AT, "e7")
    assert decision.applied is not None  # contact was VASL's to record; vasl itself is held
    assert record.consent == {
        "share_with": ["gp"],
        "contact": True,
        "recorded_at": recorded.isoformat(),
    }
    assert record.pending_claims == [
        PendingClaim(
            "consent",
            {"add_share_with": ["vasl"], "add_contact": False, "recorded_at": recorded.isoformat()},
            VASL.public(),
            "e7",
            "vasl:VASL1",
        )
    ]
    assert len(record.consent_history) == 1


def test_a_strangers_widening_is_held_with_the_events_time_when_it_gives_none() -> None:
    record = carer()
    record.apply_consent(["gp", "council"], True, None, STRANGER, AT, "e8")
    assert record.consent == GP_ONLY and record.consent_history == []
    (claim,) = record.pending_claims
    assert claim.proposal == {
        "add_share_with": ["council"],
        "add_contact": True,
        "recorded_at": AT.isoformat(),
    }
    assert claim.source == "other:X1" and claim.event_id == "e8"
    assert record._after_change == []


def test_nothing_held_makes_no_claim() -> None:
    record = carer()
    record.apply_consent(["gp", "council"], False, None, GP, AT, "e9")
    assert record.pending_claims == []
    assert [e.type for e in record._after_change] == ["consent.widened"]


def test_a_confirmed_claim_adds_to_the_held_consent_and_keeps_its_contact() -> None:
    record = carer()
    record.consent = {"share_with": ["gp"], "contact": True, "recorded_at": HELD_AT}
    officer = Recorder("council", "LCC", None, "officer-1", carer=True)
    record.confirm_consent_claim({"add_share_with": ["gp", "vasl"]}, officer, AT, "e2")
    assert record.consent == {
        "share_with": ["gp", "vasl"],
        "contact": True,
        "recorded_at": AT.isoformat(),
    }
    assert [e.type for e in record.pending_events] == ["carer.updated", "consent.widened"]
    assert record.version == 1
    contact = carer()
    contact.confirm_consent_claim({"add_contact": True}, officer, AT, "e3")
    assert contact.consent["share_with"] == ["gp"] and contact.consent["contact"] is True
    assert contact.pending_events[1].data["contact_added"] is True


def test_a_recorder_without_an_organisation_code_is_named_by_its_kind_alone() -> None:
    decision = decide(GP_ONLY, ["gp", "vasl"], False, None, CARER, AT)
    assert decision.history is not None and decision.history["source"] == "self:"
    record = carer()
    record.apply_consent(["gp", "council"], False, None, Recorder("other", known=False), AT, "e1")
    assert record.pending_claims[0].source == "other:"


def test_consent_widened_names_the_carer_whose_consent_it_is() -> None:
    record = carer()
    record.apply_consent(["gp", "council"], False, None, GP, AT, "e1")
    assert record._after_change[0].data["carer_id"] == "c1"


def test_an_ods_source_naming_no_organisation_is_nobody_we_know() -> None:
    """``ods:`` with no code must not be credited as a partner that identified the carer
    without giving a code (it could then widen consent as that partner)."""
    sources = [Source("council", None, None, HELD_AT, "e1")]
    assert consent_recorder("ods:", None, "c1", sources) == Recorder("other", None, known=False)
    assert consent_recorder("ods:LCC", None, "c1", sources) == Recorder("other", "LCC", known=False)
