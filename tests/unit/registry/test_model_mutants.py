"""The carer record's own rules (contract 4.1-4.2), one at a time: what a second report adds
and never overwrites, a GP's coding, folding two records after a review, the referrals'
status snapshot, the category as time passes, and the bodies the record publishes.

Identifications are the contract's own example (docs/examples), changed field by field.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.registry.domain.consent import Recorder
from services.registry.domain.model import Carer, Source, full_match_key, match_key
from shared.events.inbound import CarerIdentified, GpCarerCoded

EXAMPLE = Path(__file__).resolve().parents[3] / "docs/examples/cloudevent-carer-identified.json"
AT = datetime(2026, 3, 1, 10, tzinfo=UTC)
LATER = AT + timedelta(days=7)


def identification(**changes: Any) -> CarerIdentified:
    data = json.loads(EXAMPLE.read_text())["data"]
    person = changes.pop("person", None)
    if person is not None:
        data["person"] = {**data["person"], **person}
    for name in [k for k, v in changes.items() if v is None]:
        data.pop(name, None)
        del changes[name]
    return CarerIdentified.model_validate(data | changes)


def registered(**changes: Any) -> Carer:
    carer = Carer.register("c1", identification(**changes), "e1", AT)
    carer.pending_events.clear()
    return carer


def bare(carer_id: str = "c2", **fields: Any) -> Carer:
    values: dict[str, Any] = {
        "nhs_number": None,
        "given_name": None,
        "family_name": None,
        "date_of_birth": None,
        "postcode": None,
    }
    return Carer(carer_id, **(values | fields))


# -- matching ------------------------------------------------------------------------------


def test_the_match_key_ignores_case_spaces_and_postcode_spacing_but_keeps_accents() -> None:
    key = match_key("  Siân ", "O'Connor  Smith", date(1968, 4, 12), "le1 6zg")
    assert key == "siân|o'connor smith|1968-04-12|LE16ZG"
    assert match_key("Sian", "O'Connor Smith", date(1968, 4, 12), "LE16ZG") != key


def test_a_full_match_key_needs_all_four_demographics() -> None:
    dob = date(1968, 4, 12)
    assert full_match_key("Siân", "Smith", dob, "LE1 6ZG") == "siân|smith|1968-04-12|LE16ZG"
    assert full_match_key(None, "Smith", dob, "LE1 6ZG") is None
    assert full_match_key("Siân", "", dob, "LE1 6ZG") is None
    assert full_match_key("Siân", "Smith", None, "LE1 6ZG") is None
    assert full_match_key("Siân", "Smith", dob, None) is None
    assert registered().match_key == "siân|o'connor-smith|1968-04-12|LE16ZG"
    assert bare().match_key is None


# -- registering and a second report -------------------------------------------------------


def test_registration_keeps_the_person_the_source_and_the_first_consent() -> None:
    carer = Carer.register("c1", identification(), "e1", AT)
    assert (carer.nhs_number, carer.given_name, carer.family_name) == (
        "9434765919",
        "Siân",
        "O'Connor-Smith",
    )
    assert (carer.date_of_birth, carer.postcode) == (date(1968, 4, 12), "LE1 6ZG")
    assert (carer.email, carer.mobile) == ("sian@example.org", "07700900123")
    assert carer.sources == [Source("gp", "C82001", "Example Surgery", AT.isoformat(), "e1")]
    assert carer.consent["share_with"] == ["gp", "council", "vasl"]
    assert carer.consent["contact"] is True
    assert carer.support_requested == ["carers_assessment", "vasl_support"]
    assert carer.stories == [{"text": identification().story, "kind": "gp", "at": AT.isoformat()}]
    assert [e.type for e in carer.pending_events] == ["carer.registered"]
    assert (carer.version, carer.updated_at, carer.published_category) == (
        1,
        AT.isoformat(),
        "adult_carer",
    )


def test_a_second_report_fills_gaps_and_never_overwrites_what_is_held() -> None:
    carer = bare("c1", postcode="LE2 1AA", email="old@example.org")
    report = identification(person={"mobile": None, "gp_practice_ods": "c84001"}, consent=None)
    carer.record_identification(report, "e2", LATER)
    assert carer.nhs_number == "9434765919"
    assert (carer.given_name, carer.family_name) == ("Siân", "O'Connor-Smith")
    assert carer.date_of_birth == date(1968, 4, 12)
    assert carer.postcode == "LE2 1AA"  # held: kept
    # Contact details and the practice are the latest given (the carer may have changed them).
    assert carer.email == "sian@example.org"
    assert carer.mobile is None
    assert carer.gp_practice_ods == "C84001"
    assert [e.type for e in carer.pending_events] == ["carer.updated"]
    assert carer.version == 1 and carer.updated_at == LATER.isoformat()


def test_a_report_without_contact_details_or_practice_keeps_the_ones_held() -> None:
    carer = registered(person={"gp_practice_ods": "C82001"})
    quiet = identification(person={"email": None, "mobile": None})
    carer.record_identification(quiet, "e2", LATER)
    assert (carer.email, carer.mobile) == ("sian@example.org", "07700900123")
    assert carer.gp_practice_ods == "C82001"


def test_the_nhs_number_held_is_never_replaced() -> None:
    carer = bare("c1", nhs_number="9434765870")
    carer.record_identification(identification(), "e2", LATER)
    assert carer.nhs_number == "9434765870"


def test_a_second_report_adds_only_what_is_new() -> None:
    carer = registered()
    other_need = {
        "relationship": "child",
        "needs": ["learning_disability"],
        "lives_with_carer": True,
    }
    again = identification(
        caring_for=[identification().caring_for[0].model_dump(mode="json"), other_need],
        support_requested=["carers_assessment", "respite"],
        story="A different story.",
        identified_by={"kind": "council", "org_code": "LCC", "org_name": "Council"},
    )
    carer.record_identification(again, "e2", LATER)
    assert [c["relationship"] for c in carer.caring_for] == ["parent", "child"]
    assert carer.support_requested == [
        "carers_assessment",
        "vasl_support",
        "respite",
    ]
    assert [(s["text"], s["kind"]) for s in carer.stories] == [
        (identification().story, "gp"),
        ("A different story.", "council"),
    ]
    assert [s.kind for s in carer.sources] == ["gp", "council"]
    assert carer.sources[1] == Source("council", "LCC", "Council", LATER.isoformat(), "e2")
    # The same story told again is not kept twice; no story adds nothing.
    carer.record_identification(identification(story=None), "e3", LATER)
    carer.record_identification(again, "e4", LATER)
    assert len(carer.stories) == 2


def test_preferences_change_only_when_a_report_gives_them() -> None:
    carer = registered()
    assert carer.preferences == {
        "contact_channels": ["sms", "email"],
        "easy_read": False,
        "language": "en",
    }
    carer.record_identification(identification(preferences=None), "e2", LATER)
    assert carer.preferences["contact_channels"] == ["sms", "email"]
    given = {"contact_channels": ["post"], "easy_read": True, "language": "cy"}
    carer.record_identification(identification(preferences=given), "e3", LATER)
    assert carer.preferences == given
    # A record with no preferences at all takes the defaults of the first report.
    empty = bare("c3")
    empty.record_identification(identification(preferences=None), "e4", LATER)
    assert empty.preferences == {"contact_channels": [], "easy_read": False, "language": "en"}


def test_a_report_saying_nothing_about_consent_leaves_it_as_it_was() -> None:
    carer = registered()
    carer.record_identification(identification(consent=None), "e2", LATER)
    assert carer.consent["share_with"] == ["gp", "council", "vasl"]
    assert len(carer.consent_history) == 1


def test_a_self_identification_proven_for_this_record_is_the_carers_own_word() -> None:
    carer = registered(consent={"share_with": [], "contact": False})
    signed_in = Recorder("self", carer=True)
    own = identification(
        identified_by={"kind": "self"}, consent={"share_with": ["gp"], "contact": True}
    )
    carer.record_identification(own, "e2", LATER, signed_in)
    assert carer.consent["share_with"] == ["gp"] and carer.consent["contact"] is True
    assert [e.type for e in carer.pending_events] == ["carer.updated", "consent.widened"]


# -- GP coding -----------------------------------------------------------------------------

CODING = GpCarerCoded(
    nhs_number="9434765919",
    practice_ods_code="C84001",
    snomed_code="224484003",
    coded_at=datetime(2026, 2, 1, 9, tzinfo=UTC),
)


def test_a_coding_for_a_patient_nobody_identified_registers_them_by_nhs_number() -> None:
    carer = Carer.from_gp_coding("c9", CODING, "e1", AT)
    assert (carer.carer_id, carer.nhs_number, carer.given_name) == ("c9", "9434765919", None)
    assert carer.gp_coded == {
        "practice_ods_code": "C84001",
        "coded_at": "2026-02-01T09:00:00+00:00",
    }
    assert carer.sources == [Source("gp", "C84001", None, AT.isoformat(), "e1")]
    assert [e.type for e in carer.pending_events] == ["carer.registered"]
    assert carer.version == 1 and carer.category(AT) is None


def test_a_coding_adds_the_practice_as_a_source_once() -> None:
    carer = registered()
    carer.record_gp_coding("C84001", datetime(2026, 2, 1, tzinfo=UTC), "e2", LATER)
    assert carer.gp_coded == {
        "practice_ods_code": "C84001",
        "coded_at": "2026-02-01T00:00:00+00:00",
    }
    assert carer.sources[-1] == Source("gp", "C84001", None, LATER.isoformat(), "e2")
    carer.record_gp_coding("C84001", datetime(2026, 2, 2, tzinfo=UTC), "e3", LATER)
    carer.record_gp_coding("C82001", datetime(2026, 2, 3, tzinfo=UTC), "e4", LATER)
    assert [(s.kind, s.org_code) for s in carer.sources] == [("gp", "C82001"), ("gp", "C84001")]
    assert carer.gp_coded["coded_at"] == "2026-02-03T00:00:00+00:00"
    assert [e.type for e in carer.pending_events] == ["carer.updated"] * 3
    assert carer.version == 4


def test_a_coding_by_a_non_gp_source_of_the_same_code_still_adds_the_practice() -> None:
    carer = bare("c1")
    carer.sources = [Source("hospital", "C84001", None, AT.isoformat(), "e1")]
    carer.record_gp_coding("C84001", AT, "e2", LATER)
    assert [(s.kind, s.org_code) for s in carer.sources] == [
        ("hospital", "C84001"),
        ("gp", "C84001"),
    ]


# -- folding two records after a review ----------------------------------------------------


def test_records_with_different_nhs_numbers_are_never_merged() -> None:
    with pytest.raises(ValueError, match=r"^records with different NHS numbers are never merged$"):
        bare("a", nhs_number="9434765919").absorb_record(bare("b", nhs_number="9434765870"), AT)
    one = bare("a", nhs_number="9434765919")
    one.absorb_record(bare("b"), AT)
    other = bare("a")
    other.absorb_record(bare("b", nhs_number="9434765870"), AT)
    assert (one.nhs_number, other.nhs_number) == ("9434765919", "9434765870")


def test_absorbing_a_record_keeps_what_is_held_and_takes_the_rest() -> None:
    keep = bare("keep", given_name="Siân", email="keep@example.org")
    keep.sources = [Source("council", "LCC", None, "2026-03-05T00:00:00+00:00", "e2")]
    keep.caring_for = [{"relationship": "parent"}]
    keep.support_requested = ["carers_assessment"]
    keep.stories = [{"text": "one"}]
    keep.consent = {"share_with": ["gp"], "contact": False, "recorded_at": "2026-03-05"}
    keep.consent_history = [{"recorded_at": "2026-03-05"}]
    gone = bare(
        "gone",
        given_name="Sian",
        family_name="Smith",
        date_of_birth=date(1968, 4, 12),
        postcode="LE1 6ZG",
        email="gone@example.org",
        mobile="07700900123",
    )
    gone.sources = [Source("gp", "C82001", None, "2026-03-01T00:00:00+00:00", "e1")]
    gone.caring_for = [{"relationship": "parent"}, {"relationship": "child"}]
    gone.support_requested = ["carers_assessment", "vasl_support"]
    gone.stories = [{"text": "one"}, {"text": "two"}]
    gone.consent = {"share_with": ["council"], "contact": True, "recorded_at": "2026-03-01"}
    gone.consent_history = [{"recorded_at": "2026-03-01"}, {}]
    gone.gp_coded = {"practice_ods_code": "C82001"}
    gone.gp_practice_ods = "C82001"

    keep.absorb_record(gone, LATER)
    assert (keep.given_name, keep.family_name, keep.email, keep.mobile) == (
        "Siân",
        "Smith",
        "keep@example.org",
        "07700900123",
    )
    assert (keep.date_of_birth, keep.postcode) == (date(1968, 4, 12), "LE1 6ZG")
    assert [s.event_id for s in keep.sources] == ["e1", "e2"]  # oldest first
    assert keep.caring_for == [{"relationship": "parent"}, {"relationship": "child"}]
    assert keep.support_requested == ["carers_assessment", "vasl_support"]
    assert keep.stories == [{"text": "one"}, {"text": "two"}]
    assert keep.consent_history == [
        {},
        {"recorded_at": "2026-03-01"},
        {"recorded_at": "2026-03-05"},
    ]
    # The newer consent wins: the one held here.
    assert keep.consent["share_with"] == ["gp"]
    assert (keep.gp_coded, keep.gp_practice_ods) == ({"practice_ods_code": "C82001"}, "C82001")
    assert [(e.type, e.data.get("merged_carer_id")) for e in keep.pending_events] == [
        ("carer.merged", "gone"),
        ("carer.updated", None),
    ]
    assert keep.pending_events[0].data == {"carer_id": "keep", "merged_carer_id": "gone"}


def test_absorbing_takes_the_newer_consent_and_keeps_the_coding_held() -> None:
    keep = bare("keep")
    keep.consent = {"share_with": ["gp"], "contact": False}
    keep.gp_coded, keep.gp_practice_ods = {"practice_ods_code": "C84001"}, "C84001"
    gone = bare("gone")
    gone.consent = {"share_with": ["vasl"], "contact": True, "recorded_at": "2026-03-01"}
    gone.gp_coded, gone.gp_practice_ods = {"practice_ods_code": "C82001"}, "C82001"
    keep.absorb_record(gone, AT)
    assert keep.consent == gone.consent and keep.consent is not gone.consent
    assert (keep.gp_coded, keep.gp_practice_ods) == ({"practice_ods_code": "C84001"}, "C84001")


# -- the referrals' status snapshot --------------------------------------------------------


def test_open_referrals_are_those_requested_or_accepted() -> None:
    carer = bare("c1")
    requested = {"referral_id": "r1", "service": "vasl", "status": "requested"}
    carer.apply_referral("referral.created", requested, AT)
    carer.apply_referral("referral.created", {**requested, "referral_id": "r2"}, AT)
    assert carer.open_referrals == [requested, {**requested, "referral_id": "r2"}]
    carer.apply_referral("referral.accepted", {**requested, "status": "accepted"}, LATER)
    assert carer.open_referrals == [
        {**requested, "referral_id": "r2"},
        {**requested, "status": "accepted"},
    ]
    carer.apply_referral("referral.declined", {**requested, "status": "declined"}, LATER)
    assert carer.open_referrals == [{**requested, "referral_id": "r2"}]
    assert (carer.version, carer.updated_at) == (4, LATER.isoformat())
    assert carer.pending_events == []  # the referrals service publishes; the snapshot follows


def test_a_completed_assessment_and_a_passport_are_kept_on_the_snapshot() -> None:
    carer = bare("c1")
    outcome = {"type": "assessment_completed", "joint": True}
    done = {"referral_id": "r1", "service": "carers_assessment", "status": "completed"}
    carer.apply_referral("referral.completed", {**done, "outcome": outcome}, AT)
    assert carer.assessment == {
        "type": "assessment_completed",
        "joint": True,
        "referral_id": "r1",
        "completed_at": AT.isoformat(),
    }
    assert carer.young_carer_passport is None and carer.open_referrals == []
    passport = {"type": "passport_issued", "number": "YC-0001", "issued_on": "2026-03-01"}
    carer.apply_referral("referral.completed", {**done, "outcome": passport}, AT)
    assert carer.young_carer_passport == {"number": "YC-0001", "issued_on": "2026-03-01"}
    # An outcome carried by another event type changes neither.
    fresh = bare("c2")
    fresh.apply_referral("referral.accepted", {**done, "status": "x", "outcome": outcome}, AT)
    fresh.apply_referral("referral.accepted", {**done, "status": "x", "outcome": passport}, AT)
    assert (fresh.assessment, fresh.young_carer_passport) == (None, None)


# -- the category as time passes -----------------------------------------------------------


def test_a_young_carer_turning_18_is_recategorised_once() -> None:
    carer = registered(person={"date_of_birth": "2008-06-01"})
    assert carer.published_category == "young_carer"
    assert carer.recategorise(datetime(2026, 5, 31, tzinfo=UTC)) is False
    assert carer.pending_events == [] and carer.version == 1
    birthday = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert carer.recategorise(birthday) is True
    assert carer.published_category == "young_adult_carer"
    assert [e.type for e in carer.pending_events] == ["carer.updated"]
    assert carer.pending_events[0].data["category"] == "young_adult_carer"
    assert carer.recategorise(birthday) is False


# -- what the record publishes -------------------------------------------------------------


def test_the_summary_carries_what_downstream_services_need() -> None:
    carer = registered()
    carer.record_identification(identification(story="Second."), "e2", LATER)
    summary = carer.summary(LATER)
    assert summary["carer_id"] == "c1" and summary["category"] == "adult_carer"
    assert summary["sources"] == [
        {"kind": "gp", "org_code": "C82001", "at": AT.isoformat()},
        {"kind": "gp", "org_code": "C82001", "at": LATER.isoformat()},
    ]
    assert summary["consent"] == {"share_with": ["gp", "council", "vasl"], "contact": True}
    assert summary["story"] == f"{identification().story}\n\nSecond."
    assert summary["identified_by"][0] == {
        "kind": "gp",
        "org_code": "C82001",
        "org_name": "Example Surgery",
    }
    assert summary["contact"] == {
        "given_name": "Siân",
        "family_name": "O'Connor-Smith",
        "email": "sian@example.org",
        "mobile": "07700900123",
        "preferences": carer.preferences,
    }
    assert summary["postcode_district"] == "LE1"
    assert summary["version"] == 2
    assert summary["support_requested"] == ["carers_assessment", "vasl_support"]
    assert summary["caring_for"] == carer.caring_for
    empty = bare("c3").summary(AT)
    assert (empty["story"], empty["postcode_district"], empty["category"]) == (None, None, None)


def test_the_status_snapshot_carries_no_contact_details() -> None:
    carer = registered()
    carer.apply_referral(
        "referral.created", {"referral_id": "r1", "service": "vasl", "status": "requested"}, LATER
    )
    assert carer.status(LATER) == {
        "carer_id": "c1",
        "category": "adult_carer",
        "identified_by": [{"kind": "gp", "org_code": "C82001", "at": AT.isoformat()}],
        "gp_coded": None,
        "consent": {"share_with": ["gp", "council", "vasl"], "contact": True},
        "open_referrals": [{"referral_id": "r1", "service": "vasl", "status": "requested"}],
        "assessment": None,
        "young_carer_passport": None,
        "version": 2,
        "updated_at": LATER.isoformat(),
    }


def test_a_record_survives_being_stored_and_read_back() -> None:
    carer = registered(person={"gp_practice_ods": "C82001"})
    carer.record_gp_coding("C84001", AT, "e2", LATER)
    document = json.loads(json.dumps(carer.to_document()))
    assert document["date_of_birth"] == "1968-04-12"
    assert document["sources"][1] == {
        "kind": "gp",
        "org_code": "C84001",
        "org_name": None,
        "at": LATER.isoformat(),
        "event_id": "e2",
    }
    back = Carer.from_document(document)
    assert back.to_document() == carer.to_document()
    assert back.sources == carer.sources and back.date_of_birth == date(1968, 4, 12)
    assert Carer.from_document(bare("c5").to_document()).date_of_birth is None


def test_a_reports_consent_is_as_of_its_recorded_at_and_a_held_part_names_the_event() -> None:
    carer = Carer.register(
        "c1",
        identification(
            consent={"share_with": ["gp"], "contact": False, "recorded_at": "2026-02-01T09:00:00Z"}
        ),
        "e1",
        AT,
    )
    assert carer.consent["recorded_at"] == "2026-02-01T09:00:00+00:00"
    vasl = identification(
        identified_by={"kind": "vasl", "org_code": "VASL1"},
        consent={"share_with": ["gp", "vasl"], "contact": False},
    )
    carer.record_identification(vasl, "e2", LATER)
    assert [(c.kind, c.event_id) for c in carer.pending_claims] == [("consent", "e2")]


def test_update_consent_honours_recorded_at_and_names_the_event_of_a_held_part() -> None:
    carer = registered()
    vasl = Recorder("vasl", "VASL1", "VASL")
    older = AT - timedelta(days=30)
    stale = carer.update_consent([], False, vasl, LATER, "e2", recorded_at=older)
    assert stale.stale and carer.consent["share_with"] == ["gp", "council", "vasl"]
    narrowed = carer.update_consent(["gp"], False, vasl, LATER, "e3", recorded_at=LATER)
    assert narrowed.applied is not None and carer.consent["recorded_at"] == LATER.isoformat()
    carer.update_consent(["gp", "vasl"], False, vasl, LATER, "e4")
    assert [c.event_id for c in carer.pending_claims] == ["e4"]


def test_an_old_document_without_sources_is_read_as_having_none() -> None:
    document = bare("c6").to_document()
    del document["sources"]
    assert Carer.from_document(document).sources == []


def test_absorbing_keeps_the_held_consent_unless_the_others_is_newer() -> None:
    """The later recorded consent is the carer's latest word; one with no time, or one of the
    same time, does not replace the consent of the record that is kept."""
    for other_at in (None, "2026-03-01T10:00:00+00:00"):
        keep, gone = bare("keep"), bare("gone")
        keep.consent = {
            "share_with": ["gp"],
            "contact": False,
            "recorded_at": "2026-03-01T10:00:00+00:00",
        }
        gone.consent = {"share_with": ["vasl"], "contact": True}
        if other_at:
            gone.consent["recorded_at"] = other_at
        keep.absorb_record(gone, AT)
        assert keep.consent["share_with"] == ["gp"], other_at
