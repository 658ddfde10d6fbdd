"""The monitoring figures, pure: financial-year boundaries, suppression, the projection."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.monitoring.domain import periods
from services.monitoring.domain.districts import DistrictTableError, parse_districts
from services.monitoring.domain.figures import Filters, Table, columns_suppressed, compute
from services.monitoring.domain.projection import CarerRecord, Fact, Projection
from shared.calendar import england_and_wales
from shared.suppression import suppress, suppress_one

UK = ZoneInfo("Europe/London")
FY = periods.financial_year("2025/26")


def table(tables: list[Table], id_: str) -> dict[str, list[Any]]:
    found = next(t for t in tables if t.id == id_)
    return {row.label: row.values for row in found.rows}


def test_the_financial_year_ends_at_midnight_uk_time_on_31_march() -> None:
    last_minute = datetime(2026, 3, 31, 23, 59, tzinfo=UK)
    first_minute = datetime(2026, 4, 1, 0, 0, tzinfo=UK)
    assert FY.contains(last_minute)
    assert not FY.contains(first_minute)
    assert periods.year_of(first_minute).label == "2026/27"
    assert periods.year_of(last_minute).label == "2025/26"
    # 1 April 2025 00:30 in the UK (BST) is still 31 March in UTC: it is 2025/26 all the same.
    assert FY.contains(datetime(2025, 3, 31, 23, 30, tzinfo=UTC))


def test_a_financial_year_label_is_checked_and_names_the_field() -> None:
    assert periods.financial_year("2024/25").start == datetime(2024, 4, 1, tzinfo=UK)
    for wrong in ("2025", "2025/27", "25/26", "2025-26"):
        with pytest.raises(ValueError, match=r"^year: "):
            periods.financial_year(wrong)
    with pytest.raises(ValueError, match=r"^month: "):
        periods.month("2025-13")


def test_the_months_of_a_year_run_april_to_march() -> None:
    labels = [m.label for m in periods.months_of(FY)]
    assert labels[0] == "2025-04" and labels[-1] == "2026-03" and len(labels) == 12
    assert periods.months_of(FY)[-1].end == FY.end


def test_exactly_four_is_hidden_and_exactly_five_is_shown() -> None:
    assert suppress_one(4) is None
    assert suppress_one(5) == 5
    assert suppress_one(0) == 0
    assert suppress({"a": 5, "b": 6, "c": 0}) == {"a": 5, "b": 6, "c": 0}


def test_one_hidden_count_hides_the_smallest_other_so_it_cannot_be_worked_out() -> None:
    assert suppress({"a": 4, "b": 9, "c": 7}) == {"a": None, "b": 9, "c": None}
    # Two hidden already protect each other: nothing more is hidden.
    assert suppress({"a": 4, "b": 3, "c": 7}) == {"a": None, "b": None, "c": 7}
    shown = columns_suppressed({"x": [4, 10], "y": [20, 10], "z": [6, 10]})
    assert shown == {"x": [None, 10], "y": [20, 10], "z": [None, 10]}


def fact(name: str, at: datetime, n: int = 0, **extra: Any) -> Fact:
    return Fact(name, at, extra.pop("carer_id", f"c{n}"), f"e{name}{n}{at}", **extra)


def test_figures_count_31_march_in_one_year_and_1_april_in_the_next() -> None:
    march = datetime(2026, 3, 31, 23, 59, tzinfo=UK)
    april = datetime(2026, 4, 1, 0, 0, tzinfo=UK)
    facts = [fact("referral_received", march, i, service="vasl") for i in range(5)]
    facts += [fact("referral_received", april, i, service="vasl") for i in range(7)]
    this = table(compute(FY, facts, {}, []), "referrals")
    following = table(compute(periods.financial_year("2026/27"), facts, {}, []), "referrals")
    assert this["vasl"][0] == 5
    assert following["vasl"][0] == 7


def test_joint_share_hides_both_parts_when_one_is_small() -> None:
    at = datetime(2025, 6, 2, 12, tzinfo=UK)
    done = [fact("assessment_completed", at, i, joint=i < 3) for i in range(20)]
    rows = table(compute(FY, done, {}, []), "assessments")
    assert rows["Completed"] == [20, 100.0]
    assert rows["Joint with the cared-for person"] == [None, None]
    assert rows["Not joint"] == [None, None]
    done += [fact("assessment_completed", at, 100 + i, joint=True) for i in range(3)]
    rows = table(compute(FY, done, {}, []), "assessments")
    assert rows["Joint with the cared-for person"] == [6, 26.1]
    assert rows["Not joint"] == [17, 73.9]


def test_direct_payment_amounts_are_hidden_with_their_counts() -> None:
    at = datetime(2025, 9, 1, tzinfo=UK)
    weekly = [fact("direct_payment_weekly", at, i, amount=Decimal("50.25")) for i in range(6)]
    one_off = [fact("direct_payment_one_off", at, i, amount=Decimal("300")) for i in range(2)]
    rows = table(compute(FY, weekly + one_off, {}, []), "direct-payments")
    assert rows == {"Weekly": [None, None], "One-off": [None, None]}
    one_off += [fact("direct_payment_one_off", at, 9 + i, amount=Decimal("1")) for i in range(3)]
    rows = table(compute(FY, weekly + one_off, {}, []), "direct-payments")
    assert rows == {"Weekly": [6, "301.50"], "One-off": [5, "603.00"]}


def test_acceptance_time_median_and_90th_percentile_in_working_days() -> None:
    at = datetime(2025, 5, 1, tzinfo=UK)
    days = [1, 2, 2, 3, 4, 5, 8, 9, 10, 20]
    facts = [
        fact("referral_accepted", at, i, service="carers_assessment", days=d)
        for i, d in enumerate(days)
    ]
    rows = table(compute(FY, facts, {}, []), "acceptance")
    assert rows["carers_assessment"] == [10, 4.5, 10]
    assert rows["vasl"] == [0, "", ""]


def test_filters_pick_carers_by_category_source_and_district() -> None:
    at = datetime(2025, 5, 1, tzinfo=UK)
    carers = {
        f"c{i}": CarerRecord(
            f"c{i}",
            category="young_carer" if i < 6 else "adult_carer",
            first_kind="school" if i < 6 else "gp",
            first_at=at,
            postcode_district="LE3" if i % 2 else "LE11",
        )
        for i in range(12)
    }
    facts = [fact("referral_received", at, i, service="young_carers") for i in range(12)]
    districts = {"LE3": "Blaby", "LE11": "Charnwood"}

    def received(filters: Filters) -> Any:
        return table(compute(FY, facts, carers, [], filters, districts), "referrals")[
            "young_carers"
        ][0]

    assert received(Filters()) == 12
    assert received(Filters(category="young_carer")) == 6
    assert received(Filters(source="gp")) == 6
    assert received(Filters(district="Blaby")) == 6
    assert received(Filters(category="young_carer", district="Blaby")) is None  # 3: hidden


def test_the_projection_counts_new_and_repeat_identifications_and_acceptance_days() -> None:
    p = Projection({}, {}, england_and_wales())
    first = {"kind": "gp", "org_code": "C82001", "at": "2026-04-01T08:00:00+00:00"}
    second = {"kind": "council", "org_code": None, "at": "2026-04-02T08:00:00+00:00"}
    body = {
        "carer_id": "c1",
        "category": "adult_carer",
        "sources": [first],
        "postcode_district": "LE3",
    }
    t = datetime(2026, 4, 1, 9, tzinfo=UTC)
    assert [f.fact for f in p.apply("carer.registered", "e1", t, body)] == ["identified_new"]
    again = p.apply("carer.updated", "e2", t, {**body, "sources": [first, second]})
    assert [(f.fact, f.kind) for f in again] == [("identified_repeat", "council")]
    assert p.apply("carer.updated", "e3", t, {**body, "sources": [first, second]}) == []
    referral = {"referral_id": "r1", "carer_id": "c1", "service": "carers_assessment"}
    # Received Thursday 2 April 2026; accepted Tuesday 7 April: Good Friday and Easter Monday
    # are bank holidays, so that is one working day (Tuesday).
    p.apply("referral.created", "e4", datetime(2026, 4, 2, 10, tzinfo=UTC), referral)
    accepted = p.apply("referral.accepted", "e5", datetime(2026, 4, 7, 10, tzinfo=UTC), referral)
    assert accepted[0].days == 1
    assert p.carers["c1"].council_known_at == datetime(2026, 4, 2, 8, tzinfo=UTC)
    assert p.carers["c1"].gp_known_at == datetime(2026, 4, 1, 8, tzinfo=UTC)


def test_the_district_table_names_the_line_at_fault() -> None:
    assert parse_districts("postcode_district,district\nle3 ,Blaby\n") == {"LE3": "Blaby"}
    with pytest.raises(DistrictTableError, match="line 3"):
        parse_districts("postcode_district,district\nLE3,Blaby\nLE3,Melton\n")
    with pytest.raises(DistrictTableError, match="columns"):
        parse_districts("postcode,area\nLE3,Blaby\n")
