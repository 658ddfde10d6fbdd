"""The known event set of the broker test (tests/integration/monitoring/known_events.py), replayed
through the pure projection and figures with no broker and no database: every figure of
2025/26 must come out exactly as the integration test expects, in milliseconds.

The events are built with the shared event models and the referrals service's own outcome
rules, so this checks the projection against what the other services really publish. The
service layer's two reads that combine topics (GP coding, first council referral) are done
here the way the repository does them (adapters/repository.py ``all_carers``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from services.monitoring.domain import periods
from services.monitoring.domain.figures import Filters, Table, compute
from services.monitoring.domain.projection import (
    COUNCIL_SERVICES,
    CarerRecord,
    Fact,
    Projection,
    as_known,
)
from shared.calendar import england_and_wales
from shared.events.catalogue import OUTBOUND_BODIES
from tests.integration.monitoring.known_events import EXPECTED_2025_26, known_events

FY = periods.financial_year("2025/26")
EVERYONE = Filters()
DISTRICTS = {"LE3": "Blaby", "LE11": "Charnwood"}


class Replayed:
    """The read model after every known event: facts, carers (as read) and passports."""

    def __init__(self) -> None:
        projection = Projection({}, {}, england_and_wales())
        self.facts: list[Fact] = []
        for _topic, _key, event in known_events():
            body = OUTBOUND_BODIES[event.type].model_validate(event.data).model_dump()
            self.facts.extend(projection.apply(event.type, event.id, event.time, body))
        referred: dict[str, datetime] = {}
        for r in projection.referrals.values():
            if r.service in COUNCIL_SERVICES and r.created_at is not None:
                referred[r.carer_id] = min(r.created_at, referred.get(r.carer_id, r.created_at))
        self.carers: dict[str, CarerRecord] = as_known(
            projection.carers, projection.gp_coded, referred
        )
        self.passports = [f for f in self.facts if f.fact == "passport_issued"]

    def figures(
        self, period: periods.Period = FY, filters: Filters = EVERYONE
    ) -> dict[str, dict[str, list[Any]]]:
        tables = compute(period, self.facts, self.carers, self.passports, filters, DISTRICTS)
        return {t.id: {row.label: row.values for row in t.rows} for t in tables}

    def tables(self, period: periods.Period = FY) -> list[Table]:
        return compute(period, self.facts, self.carers, self.passports, EVERYONE, DISTRICTS)


@pytest.fixture(scope="module")
def replayed() -> Replayed:
    return Replayed()


def test_every_figure_of_2025_26_is_exactly_what_the_broker_test_expects(
    replayed: Replayed,
) -> None:
    assert replayed.figures() == EXPECTED_2025_26


def test_the_minute_after_31_march_is_the_next_year(replayed: Replayed) -> None:
    following = replayed.figures(periods.financial_year("2026/27"))
    assert following["identified"]["New carers"] == [None]  # c14 alone: hidden
    assert following["known"]["Carers known to Carers Connect"] == [14, 100.0]
    # Passports since launch do not depend on the period; none issued in 2026/27.
    assert following["young-carers"]["Passports issued since launch"] == [5]
    assert following["young-carers"]["Passports issued in the period"] == [0]


def test_a_district_filter_counts_only_the_carers_living_there(replayed: Replayed) -> None:
    blaby = replayed.figures(filters=Filters(district="Blaby"))
    received = {service: values[0] for service, values in blaby["referrals"].items()}
    # c01, c03, c05, c07 (4: hidden); young carers c07, c09, c11 twice (6); VASL 3 (hidden).
    assert received == {
        "carers_assessment": None,
        "young_carers": 6,
        "support_at_home": 0,
        "vasl": None,
    }
    # Seven of the thirteen carers of 2025/26 are odd-numbered (LE3, Blaby).
    assert blaby["known"]["Carers known to Carers Connect"] == [7, 100.0]


def test_a_source_filter_keeps_identifications_by_that_kind(replayed: Replayed) -> None:
    school = replayed.figures(filters=Filters(source="school"))
    assert school["identified-by-source"]["school"] == [6, 0]
    assert school["identified-by-source"]["gp"] == [0, 0]
    assert school["known"]["Carers known to Carers Connect"] == [6, 100.0]
    adults = replayed.figures(filters=Filters(category="adult_carer"))
    assert adults["identified-by-category"]["young_carer"] == [0, 0]
    assert adults["known"]["Carers known to Carers Connect"] == [7, 100.0]


# What the committee report and the CSV download show as each figure's heading and columns
# (the CSV has one line per cell: period, title, row, column, value), and the chart's column.
PUBLISHED = {
    "identified": ("Carers identified", ["Number"], 0),
    "identified-by-source": (
        "Carers identified, by who identified them",
        ["New carers", "Repeat identifications"],
        0,
    ),
    "identified-by-organisation": (
        "Carers identified, by organisation",
        ["New carers", "Repeat identifications"],
        0,
    ),
    "identified-by-category": (
        "Carers identified, by category",
        ["New carers", "Repeat identifications"],
        0,
    ),
    "referrals": (
        "Referrals, by service",
        ["Received", "Accepted", "Declined", "Completed", "Withdrawn", "Overdue"],
        0,
    ),
    "acceptance": (
        "Working days from referral to acceptance",
        ["Referrals accepted", "Median (working days)", "90th percentile (working days)"],
        1,
    ),
    "assessments": ("Carers assessments completed", ["Number", "Percent"], 0),
    "direct-payments": ("Carers direct payments agreed", ["Number", "Total amount (£)"], 0),
    "young-carers": ("Young carers", ["Number"], 0),
    "vasl": ("Carers supported by VASL", ["Carers"], 0),
    "known": (
        "Carers known to their GP, to the council, and to both",
        ["Carers", "Percent of carers known"],
        0,
    ),
    "messages": ("Messages to carers, by channel", ["Sent", "Delivered", "Failed"], 0),
    "monthly": (
        "By month",
        [
            "New carers",
            "Repeat identifications",
            "Referrals received",
            "Assessments completed",
            "Passports issued",
            "Messages sent",
        ],
        0,
    ),
}

# The definitions stated under each figure (docs/monitoring.md): a change is a change of what
# the council is told a number means.
NOTES = {
    "identified": "A repeat identification is another partner (or the same one again) "
    "identifying a carer already known.",
    "identified-by-category": "Category at the time of identification; unknown while the "
    "date of birth is.",
    "referrals": "Overdue: referrals not accepted within the service level (working days).",
    "acceptance": "England and Wales bank holidays and weekends excluded; hidden for fewer "
    "than 5 referrals.",
    "assessments": "Every service's assessment outcomes, including the young carers team's.",
    "direct-payments": "Weekly amounts are the weekly sum agreed, not a year's payments.",
    "vasl": "Different carers, however many referrals each had.",
    "known": "As at the end of the period. The Health Foundation found under 7% of carers in "
    "both GP and council records; the GP coding rate is the coded row's percentage.",
}


def test_each_figure_has_its_published_title_columns_chart_and_definition(
    replayed: Replayed,
) -> None:
    tables = replayed.tables()
    assert [t.id for t in tables] == list(PUBLISHED)
    for t in tables:
        assert (t.title, t.columns, t.chart) == PUBLISHED[t.id], t.id
        assert t.note == NOTES.get(t.id, ""), t.id
        assert all(len(row.values) == len(t.columns) for row in t.rows), t.id
