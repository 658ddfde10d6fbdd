"""The projection's rules one by one: which identification is new, the earliest instants a GP
and the council knew a carer, merges, erasure, GP coding, referral facts and outcomes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.monitoring.domain.projection import (
    CarerRecord,
    Projection,
    ReferralRecord,
    as_known,
    source_key,
)
from shared.calendar import england_and_wales

UK = ZoneInfo("Europe/London")
T = datetime(2025, 6, 2, 9, tzinfo=UTC)  # Monday 2 June 2025


def projection() -> Projection:
    return Projection({}, {}, england_and_wales())


def src(kind: str, at: str, org: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "org_code": org, "at": at}


GP = src("gp", "2025-05-01T10:00:00+00:00", "C82001")
COUNCIL = src("council", "2025-04-20T10:00:00+00:00", "LCC")
SCHOOL = src("school", "2025-05-10T10:00:00+00:00", "S123")


def test_a_source_is_who_and_when() -> None:
    assert source_key(GP) == "gp|C82001|2025-05-01T10:00:00+00:00"
    assert source_key(src("self", "x")) == "self||x"


def test_known_to_keeps_the_earliest_instant_for_each_partner() -> None:
    carer = CarerRecord("c1")
    carer.known_to("gp", None)
    assert carer.gp_known_at is None
    carer.known_to("gp", T)
    carer.known_to("gp", datetime(2025, 7, 1, tzinfo=UTC))
    assert carer.gp_known_at == T
    carer.known_to("gp", datetime(2025, 1, 1, tzinfo=UTC))
    assert carer.gp_known_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert carer.council_known_at is None
    carer.known_to("council", T)
    assert (carer.council_known_at, carer.gp_known_at) == (T, datetime(2025, 1, 1, tzinfo=UTC))


def test_registration_with_two_sources_is_one_new_carer_and_one_repeat() -> None:
    p = projection()
    body = {"carer_id": "c1", "category": "adult_carer", "sources": [GP, SCHOOL]}
    facts = p.apply("carer.registered", "e1", T, body)
    assert [(f.fact, f.kind, f.org_code, f.category, f.event_id) for f in facts] == [
        ("identified_new", "gp", "C82001", "adult_carer", "e1"),
        ("identified_repeat", "school", "S123", "adult_carer", "e1"),
    ]
    assert [f.at for f in facts] == [
        datetime(2025, 5, 1, 10, tzinfo=UTC),
        datetime(2025, 5, 10, 10, tzinfo=UTC),
    ]
    assert all(f.carer_id == "c1" for f in facts)
    carer = p.carers["c1"]
    assert (carer.first_kind, carer.first_at) == ("gp", datetime(2025, 5, 1, 10, tzinfo=UTC))
    assert carer.gp_known_at == datetime(2025, 5, 1, 10, tzinfo=UTC)
    assert carer.council_known_at is None  # a school is neither the GP nor the council


def test_an_earlier_source_seen_later_becomes_the_first_and_tells_the_council() -> None:
    p = projection()
    p.apply("carer.registered", "e1", T, {"carer_id": "c1", "sources": [GP]})
    facts = p.apply("carer.updated", "e2", T, {"carer_id": "c1", "sources": [GP, COUNCIL]})
    assert [(f.fact, f.kind, f.org_code) for f in facts] == [
        ("identified_repeat", "council", "LCC")
    ]
    carer = p.carers["c1"]
    assert (carer.first_kind, carer.first_at) == ("council", datetime(2025, 4, 20, 10, tzinfo=UTC))
    assert carer.council_known_at == datetime(2025, 4, 20, 10, tzinfo=UTC)
    # A later source does not move the first one.
    p.apply("carer.updated", "e3", T, {"carer_id": "c1", "sources": [SCHOOL]})
    assert carer.first_kind == "council"


def test_an_update_never_counts_a_new_carer() -> None:
    p = projection()
    facts = p.apply("carer.updated", "e1", T, {"carer_id": "c9", "sources": [SCHOOL]})
    assert [f.fact for f in facts] == ["identified_repeat"]


def test_category_and_district_change_only_when_given() -> None:
    p = projection()
    first = {"carer_id": "c1", "category": "young_carer", "postcode_district": "LE3"}
    p.apply("carer.registered", "e1", T, {**first, "sources": []})
    p.apply("carer.updated", "e2", T, {"carer_id": "c1", "category": None, "sources": None})
    carer = p.carers["c1"]
    assert (carer.category, carer.postcode_district) == ("young_carer", "LE3")
    changed = {"carer_id": "c1", "category": "young_adult_carer", "postcode_district": "LE11"}
    p.apply("carer.updated", "e3", T, changed)
    assert (carer.category, carer.postcode_district) == ("young_adult_carer", "LE11")
    # Erasure drops the district (where the carer lives) and nothing else.
    assert p.apply("carer.erased", "e4", T, {"carer_id": "c1"}) == []
    assert (carer.category, carer.postcode_district) == ("young_adult_carer", None)


def test_a_merge_gives_the_survivor_the_merged_records_identifications() -> None:
    p = projection()
    p.apply("carer.registered", "e1", T, {"carer_id": "keep", "sources": [SCHOOL]})
    p.apply("carer.registered", "e2", T, {"carer_id": "gone", "sources": [GP, COUNCIL]})
    assert p.apply("carer.merged", "e3", T, {"carer_id": "keep", "merged_carer_id": "gone"}) == []
    keep, gone = p.carers["keep"], p.carers["gone"]
    assert gone.merged_into == "keep" and keep.merged_into is None
    assert keep.sources == {source_key(s) for s in (SCHOOL, GP, COUNCIL)}
    assert keep.gp_known_at == datetime(2025, 5, 1, 10, tzinfo=UTC)
    assert keep.council_known_at == datetime(2025, 4, 20, 10, tzinfo=UTC)
    assert (keep.first_kind, keep.first_at) == ("council", datetime(2025, 4, 20, 10, tzinfo=UTC))
    # The merged record's sources seen again on the survivor are not counted again.
    again = p.apply("carer.updated", "e4", T, {"carer_id": "keep", "sources": [GP]})
    assert again == []


def test_a_merge_keeps_the_survivors_earlier_first_identification() -> None:
    p = projection()
    p.apply("carer.registered", "e1", T, {"carer_id": "keep", "sources": [COUNCIL]})
    p.apply("carer.registered", "e2", T, {"carer_id": "gone", "sources": [SCHOOL]})
    p.apply("carer.merged", "e3", T, {"carer_id": "keep", "merged_carer_id": "gone"})
    keep = p.carers["keep"]
    assert (keep.first_kind, keep.first_at) == ("council", datetime(2025, 4, 20, 10, tzinfo=UTC))
    assert keep.gp_known_at is None
    # A survivor with no identification of its own takes the merged record's.
    p.apply("carer.merged", "e4", T, {"carer_id": "empty", "merged_carer_id": "keep"})
    assert p.carers["empty"].first_kind == "council"


def test_gp_coding_keeps_the_first_coding() -> None:
    p = projection()
    status = {"carer_id": "c1", "gp_coded": None}
    assert p.apply("carer.status", "e1", T, status) == []
    assert p.gp_coded == {}
    p.apply("carer.status", "e2", T, {"carer_id": "c1", "gp_coded": {"coded_at": T}})
    later = {"carer_id": "c1", "gp_coded": {"coded_at": "2025-09-01T00:00:00+00:00"}}
    p.apply("carer.status", "e3", T, later)
    assert p.gp_coded == {"c1": T}
    earlier = {"carer_id": "c1", "gp_coded": {"coded_at": "2025-01-01T00:00:00+00:00"}}
    p.apply("carer.status", "e4", T, earlier)
    assert p.gp_coded == {"c1": datetime(2025, 1, 1, tzinfo=UTC)}


def referral(**extra: Any) -> dict[str, Any]:
    return {"referral_id": "r1", "carer_id": "c1", "service": "carers_assessment", **extra}


def test_referral_facts_carry_the_service_the_referral_and_the_working_days() -> None:
    p = projection()
    created = p.apply("referral.created", "e1", T, referral())
    assert [(f.fact, f.service, f.referral_id, f.carer_id, f.days) for f in created] == [
        ("referral_received", "carers_assessment", "r1", "c1", None)
    ]
    # A second "created" (a replay) does not move the received time.
    p.apply("referral.created", "e2", datetime(2025, 6, 5, tzinfo=UTC), referral())
    assert p.referrals["r1"] == ReferralRecord("r1", "c1", "carers_assessment", T)
    accepted = p.apply("referral.accepted", "e3", datetime(2025, 6, 4, 9, tzinfo=UTC), referral())
    assert [(f.fact, f.days, f.at) for f in accepted] == [
        ("referral_accepted", 2, datetime(2025, 6, 4, 9, tzinfo=UTC))
    ]
    p.apply("referral.accepted", "e4", datetime(2025, 6, 9, tzinfo=UTC), referral())
    assert p.referrals["r1"].accepted_at == datetime(2025, 6, 4, 9, tzinfo=UTC)
    for event, fact in (
        ("referral.declined", "referral_declined"),
        ("referral.withdrawn", "referral_withdrawn"),
        ("referral.overdue", "referral_overdue"),
    ):
        assert [f.fact for f in p.apply(event, "e5", T, referral())] == [fact]


def test_an_acceptance_without_its_referral_has_no_days() -> None:
    p = projection()
    accepted = p.apply("referral.accepted", "e1", T, referral(referral_id="r9"))
    assert accepted[0].days is None
    assert p.referrals["r9"].accepted_at == T and p.referrals["r9"].created_at is None


def test_an_assessment_outcome_counts_the_assessment_and_its_direct_payment() -> None:
    p = projection()
    outcome = {
        "type": "assessment_completed",
        "joint": True,
        "direct_payment": {"kind": "weekly", "amount": "50.5"},
    }
    facts = p.apply("referral.completed", "e1", T, referral(outcome=outcome))
    assert [(f.fact, f.joint, f.amount, f.service, f.referral_id) for f in facts] == [
        ("referral_completed", False, None, "carers_assessment", "r1"),
        ("assessment_completed", True, None, "carers_assessment", "r1"),
        ("direct_payment_weekly", False, Decimal("50.5"), "carers_assessment", "r1"),
    ]
    one_off = {"type": "assessment_completed", "direct_payment": {"kind": "one_off"}}
    facts = p.apply("referral.completed", "e2", T, referral(outcome=one_off))
    assert [(f.fact, f.joint, f.amount) for f in facts] == [
        ("referral_completed", False, None),
        ("assessment_completed", False, None),
        ("direct_payment_one_off", False, Decimal("0")),
    ]
    for payment in ({"kind": "monthly", "amount": "5"}, "weekly", None):
        odd = {"type": "assessment_completed", "direct_payment": payment}
        facts = p.apply("referral.completed", "e3", T, referral(outcome=odd))
        assert [f.fact for f in facts] == ["referral_completed", "assessment_completed"]


def test_a_passport_counts_on_its_issue_date_at_uk_noon() -> None:
    p = projection()
    issued = {"type": "passport_issued", "issued_on": "2024-09-01"}
    facts = p.apply("referral.completed", "e1", T, referral(service="young_carers", outcome=issued))
    assert [(f.fact, f.at, f.service) for f in facts] == [
        ("referral_completed", T, "young_carers"),
        ("passport_issued", datetime(2024, 9, 1, 12, tzinfo=UK), "young_carers"),
    ]
    undated = {"type": "passport_issued", "issued_on": None}
    facts = p.apply("referral.completed", "e2", T, referral(outcome=undated))
    assert [(f.fact, f.at) for f in facts][1] == ("passport_issued", T)


def test_other_outcomes_and_no_outcome_add_only_the_completion() -> None:
    p = projection()
    for outcome in (None, {}, {"type": "signposted"}):
        facts = p.apply("referral.completed", "e1", T, referral(outcome=outcome))
        assert [f.fact for f in facts] == ["referral_completed"]


def test_messages_are_counted_by_channel_and_other_events_add_nothing() -> None:
    p = projection()
    for event, fact in (
        ("notification.sent", "message_sent"),
        ("notification.delivered", "message_delivered"),
        ("notification.failed", "message_failed"),
    ):
        facts = p.apply(event, "e1", T, {"carer_id": "c1", "channel": "sms"})
        assert [(f.fact, f.channel, f.carer_id, f.at, f.event_id) for f in facts] == [
            (fact, "sms", "c1", T, "e1")
        ]
    assert p.apply("carer.unknown", "e2", T, {"carer_id": "c1"}) == []
    assert p.carers == {}


def test_as_known_adds_gp_coding_and_council_referrals_without_changing_the_records() -> None:
    coded, referred = datetime(2025, 8, 1, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC)
    carers = {
        "c1": CarerRecord("c1", gp_known_at=T, sources={"k"}),
        "c2": CarerRecord("c2"),
    }
    known = as_known(carers, {"c1": coded, "c2": coded}, {"c2": referred})
    assert (known["c1"].gp_coded_at, known["c1"].gp_known_at) == (coded, T)
    assert known["c1"].council_known_at is None
    assert (known["c2"].gp_known_at, known["c2"].council_known_at) == (coded, referred)
    assert carers["c2"].gp_known_at is None and carers["c1"].gp_coded_at is None
    known["c1"].sources.add("other")
    assert carers["c1"].sources == {"k"}


def test_every_referral_and_outcome_fact_names_its_carer_and_event() -> None:
    """A fact is traced to the event that made it (a replay must give the same rows)."""
    p = projection()
    assessed = {
        "type": "assessment_completed",
        "direct_payment": {"kind": "weekly", "amount": "5"},
    }
    facts = p.apply("referral.completed", "e1", T, referral(outcome=assessed))
    passport = {"type": "passport_issued", "issued_on": "2025-06-01"}
    facts += p.apply("referral.completed", "e2", T, referral(outcome=passport))
    facts += p.apply("referral.created", "e3", T, referral())
    assert [(f.fact, f.carer_id, f.event_id) for f in facts] == [
        ("referral_completed", "c1", "e1"),
        ("assessment_completed", "c1", "e1"),
        ("direct_payment_weekly", "c1", "e1"),
        ("referral_completed", "c1", "e2"),
        ("passport_issued", "c1", "e2"),
        ("referral_received", "c1", "e3"),
    ]


def test_sources_at_the_same_instant_keep_the_first_listed_as_first() -> None:
    p = projection()
    same_time = src("school", GP["at"], "S123")
    p.apply("carer.registered", "e1", T, {"carer_id": "c1", "sources": [GP, same_time]})
    assert p.carers["c1"].first_kind == "gp"
    # On a merge, a tie keeps the survivor's own first identification.
    p.apply("carer.registered", "e2", T, {"carer_id": "c2", "sources": [same_time]})
    p.apply("carer.merged", "e3", T, {"carer_id": "c1", "merged_carer_id": "c2"})
    assert p.carers["c1"].first_kind == "gp"
