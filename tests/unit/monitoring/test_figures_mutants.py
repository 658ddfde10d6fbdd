"""Each figure's own rule, one at a time, with counts at the suppression boundary (4 hidden,
5 shown): what is counted, what is counted once, what a filter keeps, what "as at the end of
the period" means."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.monitoring.domain import periods
from services.monitoring.domain.figures import Filters, compute
from services.monitoring.domain.projection import CarerRecord, Fact

UK = ZoneInfo("Europe/London")
FY = periods.financial_year("2025/26")
AT = datetime(2025, 6, 2, 12, tzinfo=UK)
EVERYONE = Filters()


def fact(name: str, n: int, at: datetime = AT, **extra: Any) -> Fact:
    return Fact(name, at, extra.pop("carer_id", f"c{n}"), f"e{name}{n}", **extra)


def figure(
    id_: str,
    facts: list[Fact],
    carers: dict[str, CarerRecord] | None = None,
    filters: Filters = EVERYONE,
    passports: list[Fact] | None = None,
    period: periods.Period = FY,
) -> dict[str, list[Any]]:
    tables = compute(period, facts, carers or {}, passports or [], filters, {"LE3": "Blaby"})
    found = next(t for t in tables if t.id == id_)
    return {row.label: row.values for row in found.rows}


def test_filters_name_only_what_is_chosen() -> None:
    assert Filters().active() == {}
    assert Filters(category="young_carer", source="").active() == {"category": "young_carer"}
    assert Filters(source="gp", district="Blaby").active() == {"source": "gp", "district": "Blaby"}


def test_identifications_are_counted_new_and_repeat_by_source_organisation_and_category() -> None:
    facts = [fact("identified_new", i, kind="gp", org_code="C82001") for i in range(5)]
    facts += [
        fact("identified_new", 10 + i, kind="school", category="young_carer") for i in range(4)
    ]
    facts += [
        fact("identified_new", 30 + i, kind="self", category="young_adult_carer") for i in range(3)
    ]
    facts += [
        fact("identified_repeat", 20 + i, kind="gp", org_code="C82001", category="adult_carer")
        for i in range(6)
    ]
    assert figure("identified", facts) == {"New carers": [12], "Repeat identifications": [6]}
    # Two small counts in a column protect each other: the 5 beside them stays shown.
    by_source = figure("identified-by-source", facts)
    assert by_source == {
        "gp": [5, 6],
        "hospital": [0, 0],
        "council": [0, 0],
        "vasl": [0, 0],
        "school": [None, 0],
        "self": [None, 0],
        "other": [0, 0],
    }
    assert figure("identified-by-organisation", facts) == {
        "gp C82001": [5, 6],
        "school (no code)": [None, 0],
        "self (no code)": [None, 0],
    }
    assert figure("identified-by-category", facts) == {
        "young_carer": [None, 0],
        "young_adult_carer": [None, 0],
        "adult_carer": [0, 6],
        "unknown": [5, 0],
    }
    few = figure("identified", facts[:4] + facts[12:17])
    assert few == {"New carers": [None], "Repeat identifications": [5]}


def test_overdue_counts_referrals_and_the_other_columns_count_events() -> None:
    facts = [
        fact("referral_overdue", i, service="vasl", referral_id=f"r{i % 5}") for i in range(10)
    ]
    facts += [fact("referral_received", i, service="vasl", referral_id="r0") for i in range(6)]
    facts += [
        fact(f"referral_{s}", i, service="young_carers")
        for s in ("accepted", "declined", "completed", "withdrawn")
        for i in range(5)
    ]
    rows = figure("referrals", facts)
    assert rows["vasl"] == [6, 0, 0, 0, 0, 5]
    assert rows["young_carers"] == [0, 5, 5, 5, 5, 0]
    assert list(rows) == ["carers_assessment", "young_carers", "support_at_home", "vasl"]


def test_acceptance_times_hide_with_their_count_and_skip_untimed_acceptances() -> None:
    def accepted(days: list[int | None]) -> list[Fact]:
        return [
            fact("referral_accepted", i, service="support_at_home", days=d)
            for i, d in enumerate(days)
        ]

    # Four timed acceptances (the fifth has no received time): hidden, with its median.
    assert figure("acceptance", accepted([1, 2, 3, 4, None]))["support_at_home"] == [
        None,
        None,
        None,
    ]
    five = figure("acceptance", accepted([4, 1, 3, 2, 5, None]))["support_at_home"]
    assert five == [5, 3.0, 5]
    assert isinstance(five[1], float)
    assert figure("acceptance", accepted([None, None]))["support_at_home"] == [0, "", ""]


def test_a_hidden_total_hides_the_joint_split_and_its_percentages() -> None:
    done = [fact("assessment_completed", i, joint=i < 2) for i in range(4)]
    assert figure("assessments", done) == {
        "Completed": [None, None],
        "Joint with the cared-for person": [None, None],
        "Not joint": [None, None],
    }
    done = [fact("assessment_completed", i, joint=i < 5) for i in range(10)]
    assert figure("assessments", done) == {
        "Completed": [10, 100.0],
        "Joint with the cared-for person": [5, 50.0],
        "Not joint": [5, 50.0],
    }
    assert figure("assessments", [])["Completed"] == [0, 100.0]


def test_direct_payment_amounts_without_an_amount_count_as_nothing() -> None:
    weekly = [fact("direct_payment_weekly", i, amount=Decimal("10.005")) for i in range(5)]
    weekly.append(fact("direct_payment_weekly", 9, amount=None))
    assert figure("direct-payments", weekly) == {"Weekly": [6, "50.02"], "One-off": [0, "0.00"]}


def test_young_carers_figures_count_only_the_young_carers_team() -> None:
    facts = [fact("referral_received", i, service="young_carers") for i in range(5)]
    facts += [fact("referral_received", 10 + i, service="vasl") for i in range(5)]
    facts += [fact("assessment_completed", i, service="young_carers") for i in range(6)]
    facts += [fact("assessment_completed", 10 + i, service="carers_assessment") for i in range(5)]
    facts += [fact("passport_issued", i, service="young_carers") for i in range(7)]
    ever = [fact("passport_issued", i, datetime(2024, 9, 1, tzinfo=UK)) for i in range(8)]
    assert figure("young-carers", facts, passports=ever) == {
        "Assessment referrals received": [5],
        "Full assessments completed": [6],
        "Passports issued in the period": [7],
        "Passports issued since launch": [8],
    }
    assert figure("young-carers", [], passports=ever[:4])["Passports issued since launch"] == [None]


def test_vasl_counts_different_carers_with_an_accepted_vasl_referral() -> None:
    facts = [fact("referral_accepted", i % 5, service="vasl") for i in range(9)]
    facts += [fact("referral_accepted", 20 + i, service="young_carers") for i in range(5)]
    assert figure("vasl", facts) == {"Carers with a VASL referral accepted": [5]}
    assert figure("vasl", facts[:4]) == {"Carers with a VASL referral accepted": [None]}


def test_facts_outside_the_period_are_not_counted() -> None:
    inside = [
        fact("message_sent", i, FY.end - timedelta(seconds=1), channel="sms") for i in range(5)
    ]
    outside = [fact("message_sent", i, FY.end, channel="sms") for i in range(5)]
    outside += [
        fact("message_sent", i, FY.start - timedelta(seconds=1), channel="sms") for i in range(5)
    ]
    assert figure("messages", inside + outside) == {"email": [0, 0, 0], "sms": [5, 0, 0]}


def test_messages_are_counted_per_channel_and_outcome() -> None:
    facts = [
        fact(k, i, channel="email") for k in ("message_sent", "message_delivered") for i in range(5)
    ]
    facts += [fact("message_failed", i, channel="sms") for i in range(6)]
    assert figure("messages", facts) == {"email": [5, 5, 0], "sms": [0, 0, 6]}


def test_the_monthly_figure_splits_a_year_and_is_one_row_for_a_month() -> None:
    june = [fact("referral_received", i, service="vasl") for i in range(5)]
    july = [fact("identified_new", i, datetime(2025, 7, 1, tzinfo=UK)) for i in range(6)]
    rows = figure("monthly", june + july)
    assert next(iter(rows)) == "2025-04" and len(rows) == 12
    assert rows["2025-06"] == [0, 0, 5, 0, 0, 0]
    assert rows["2025-07"] == [6, 0, 0, 0, 0, 0]
    only_june = figure("monthly", june + july, period=periods.month("2025-06"))
    assert only_june == {"2025-06": [0, 0, 5, 0, 0, 0]}


def carer(n: int, **fields: Any) -> CarerRecord:
    fields.setdefault("first_at", AT)
    return CarerRecord(f"c{n}", **fields)


def test_known_counts_carers_first_identified_before_the_end_as_at_the_end() -> None:
    end = FY.end
    carers = {
        c.carer_id: c for c in [carer(i, gp_known_at=AT, council_known_at=AT) for i in range(5)]
    }
    carers |= {
        c.carer_id: c for c in [carer(10 + i, gp_coded_at=AT, gp_known_at=AT) for i in range(5)]
    }
    # Known only after the end, or identified only after it, or merged away: not counted.
    carers |= {c.carer_id: c for c in [carer(20 + i, council_known_at=end) for i in range(5)]}
    carers["c30"] = carer(30, first_at=end, gp_known_at=AT)
    carers["c31"] = carer(31, first_at=None)
    carers["c32"] = carer(32, merged_into="c0", gp_known_at=AT)
    rows = figure("known", [], carers)
    assert rows == {
        "Carers known to Carers Connect": [15, 100.0],
        "Known to their GP": [10, 66.7],
        "Coded as a carer by their GP": [5, 33.3],
        "Known to the council": [5, 33.3],
        "Known to both": [5, 33.3],
    }


def test_known_rows_are_each_hidden_on_their_own() -> None:
    carers = {f"c{i}": carer(i, council_known_at=AT if i < 4 else None) for i in range(9)}
    rows = figure("known", [], carers)
    assert rows["Carers known to Carers Connect"] == [9, 100.0]
    assert rows["Known to the council"] == [None, None]
    assert rows["Known to their GP"] == [0, 0.0]
    few = figure("known", [], dict(list(carers.items())[:3]))
    assert few["Carers known to Carers Connect"] == [None, None]


def test_known_filters_pick_carers_by_category_first_source_and_district() -> None:
    carers = {
        f"c{i}": carer(
            i,
            category="young_carer" if i < 10 else "adult_carer",
            first_kind="school" if i % 2 else "gp",
            postcode_district="LE3" if i < 5 or i >= 15 else "LE11",
        )
        for i in range(20)
    }

    def known(filters: Filters) -> Any:
        return figure("known", [], carers, filters)["Carers known to Carers Connect"][0]

    assert known(Filters(category="young_carer")) == 10
    assert known(Filters(source="school")) == 10
    assert known(Filters(district="Blaby")) == 10
    assert known(Filters(category="adult_carer", district="Blaby")) == 5
    assert known(Filters(category="young_carer", source="gp")) == 5


def test_an_identification_is_filtered_by_its_own_kind_and_category_not_the_carers() -> None:
    carers = {f"c{i}": carer(i, category="adult_carer", first_kind="gp") for i in range(5)}
    repeat = [fact("identified_repeat", i, kind="school", category="young_carer") for i in range(5)]
    by_school = figure("identified", repeat, carers, Filters(source="school"))
    assert by_school["Repeat identifications"] == [5]
    assert figure("identified", repeat, carers, Filters(source="gp"))["Repeat identifications"] == [
        0
    ]
    young = figure("identified", repeat, carers, Filters(category="young_carer"))
    assert young["Repeat identifications"] == [5]
    # Other facts are filtered by the carer's record.
    sent = [fact("message_sent", i, channel="sms") for i in range(5)]
    assert figure("messages", sent, carers, Filters(source="gp"))["sms"][0] == 5
    assert figure("messages", sent, carers, Filters(category="adult_carer"))["sms"][0] == 5
    assert figure("messages", sent, carers, Filters(category="young_carer"))["sms"][0] == 0


def test_a_fact_about_a_carer_not_on_record_is_dropped_by_any_filter() -> None:
    sent = [fact("message_sent", i, channel="sms") for i in range(5)]
    assert figure("messages", sent, {})["sms"][0] == 5
    for filters in (
        Filters(category="adult_carer"),
        Filters(source="gp"),
        Filters(district="Blaby"),
    ):
        assert figure("messages", sent, {}, filters)["sms"][0] == 0


def test_a_district_filter_needs_the_carers_district_to_be_in_it() -> None:
    carers = {f"c{i}": carer(i, postcode_district="LE3" if i < 5 else None) for i in range(10)}
    sent = [fact("message_sent", i, channel="email") for i in range(10)]
    assert figure("messages", sent, carers, Filters(district="Blaby"))["email"][0] == 5
    assert figure("messages", sent, carers, Filters(district="Melton"))["email"][0] == 0
    # A category filter that fails is not rescued by a matching district.
    both = Filters(category="young_carer", district="Blaby")
    assert figure("messages", sent, carers, both)["email"][0] == 0


def test_passports_since_launch_are_filtered_like_the_rest() -> None:
    carers = {
        f"c{i}": carer(i, category="young_carer" if i < 5 else "adult_carer") for i in range(10)
    }
    ever = [fact("passport_issued", i, datetime(2024, 9, 1, tzinfo=UK)) for i in range(10)]
    rows = figure("young-carers", [], carers, Filters(category="young_carer"), passports=ever)
    assert rows["Passports issued since launch"] == [5]
