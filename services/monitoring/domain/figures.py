"""The council's monitoring figures, from facts, for one period and one set of filters.

Pure. Each figure is a :class:`Table` (rows of a label and values) because that is how the
committee report gives them and how the page shows them; the JSON and CSV downloads are the
same tables. Small numbers are hidden with the shared rule (:mod:`shared.suppression`):
every column of counts is suppressed as a set (1-4 hidden, and a second cell where one
alone could be worked out from the others), an amount or a median is hidden with the count
it belongs to, and a percentage is hidden when either of its two numbers is. ``None`` is a
hidden value.

Definitions (docs/monitoring.md says why):
- identified: a source on ``carer.registered`` is a new carer, a source first seen on
  ``carer.updated`` is a repeat identification; timed by the source's ``at``;
- days to acceptance: working days (England and Wales) from the local date the referral was
  received to the local date it was accepted; median and 90th percentile (nearest rank);
- carers supported by VASL: different carers with a VASL referral accepted in the period;
- known to their GP: identified by a GP or coded by one; known to the council: identified by
  the council or referred to a council team; both: both of those. Counted over carers first
  identified before the end of the period, as at the end of it.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from services.monitoring.domain.periods import Period, months_of
from services.monitoring.domain.projection import CarerRecord, Fact
from services.monitoring.domain.tables import (
    Row,
    Table,
    Value,
    columns_suppressed,
    nearest_rank,
    percent,
)
from shared.suppression import SMALL_NUMBER, suppress, suppress_one

SERVICES = ("carers_assessment", "young_carers", "support_at_home", "vasl")
SOURCE_KINDS = ("gp", "hospital", "council", "vasl", "school", "self", "other")
CATEGORIES = ("young_carer", "young_adult_carer", "adult_carer")
CHANNELS = ("email", "sms")


@dataclass(frozen=True)
class Filters:
    """Narrow every figure to carers of one category, first source kind or district."""

    category: str | None = None
    source: str | None = None
    district: str | None = None

    def active(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


def _keep(
    fact: Fact,
    carers: Mapping[str, CarerRecord],
    filters: Filters,
    districts: Mapping[str, str],
) -> bool:
    if not filters.active():
        return True
    carer = carers.get(fact.carer_id)
    identification = fact.fact.startswith("identified")
    category = fact.category if identification else (carer.category if carer else None)
    kind = fact.kind if identification else (carer.first_kind if carer else None)
    if filters.category and category != filters.category:
        return False
    if filters.source and kind != filters.source:
        return False
    if filters.district:
        outward = carer.postcode_district if carer else None
        return districts.get(outward or "") == filters.district
    return True


def _carer_kept(carer: CarerRecord, filters: Filters, districts: Mapping[str, str]) -> bool:
    if filters.category and carer.category != filters.category:
        return False
    if filters.source and carer.first_kind != filters.source:
        return False
    return not filters.district or districts.get(carer.postcode_district or "") == filters.district


def _count_table(
    id_: str, title: str, columns: list[str], counts: Mapping[str, Sequence[int]], note: str = ""
) -> Table:
    shown = columns_suppressed(counts)
    return Table(id_, title, columns, [Row(label, list(v)) for label, v in shown.items()], note)


def compute(
    period: Period,
    facts: Iterable[Fact],
    carers: Mapping[str, CarerRecord],
    passports_ever: Iterable[Fact],
    filters: Filters = Filters(),
    districts: Mapping[str, str] | None = None,
) -> list[Table]:
    """Every figure for ``period``: ``facts`` are those in the period (others are ignored)."""
    districts = districts or {}
    kept = [f for f in facts if period.contains(f.at) and _keep(f, carers, filters, districts)]
    by: defaultdict[str, list[Fact]] = defaultdict(list)
    for f in kept:
        by[f.fact].append(f)
    return [
        *_identified(by),
        _referrals(by),
        _acceptance(by),
        _assessments(by),
        _direct_payments(by),
        _young_carers(by, [f for f in passports_ever if _keep(f, carers, filters, districts)]),
        _vasl(by),
        _known(period, carers, filters, districts),
        _messages(by),
        _monthly(period, kept),
    ]


def _identified(by: Mapping[str, list[Fact]]) -> list[Table]:
    new, repeat = by.get("identified_new", []), by.get("identified_repeat", [])

    def split(key: Any, labels: Iterable[str]) -> dict[str, list[int]]:
        n, r = Counter(map(key, new)), Counter(map(key, repeat))
        return {label: [n[label], r[label]] for label in labels}

    orgs = sorted({f"{f.kind} {f.org_code or '(no code)'}" for f in [*new, *repeat]})
    columns = ["New carers", "Repeat identifications"]
    total = Table(
        "identified",
        "Carers identified",
        ["Number"],
        [
            Row("New carers", [suppress_one(len(new))]),
            Row("Repeat identifications", [suppress_one(len(repeat))]),
        ],
        "A repeat identification is another partner (or the same one again) identifying a "
        "carer already known.",
    )
    return [
        total,
        _count_table(
            "identified-by-source",
            "Carers identified, by who identified them",
            columns,
            split(lambda f: f.kind, SOURCE_KINDS),
        ),
        _count_table(
            "identified-by-organisation",
            "Carers identified, by organisation",
            columns,
            split(lambda f: f"{f.kind} {f.org_code or '(no code)'}", orgs),
        ),
        _count_table(
            "identified-by-category",
            "Carers identified, by category",
            columns,
            split(lambda f: f.category or "unknown", (*CATEGORIES, "unknown")),
            "Category at the time of identification; unknown while the date of birth is.",
        ),
    ]


_REFERRAL_COLUMNS = {
    "referral_received": "Received",
    "referral_accepted": "Accepted",
    "referral_declined": "Declined",
    "referral_completed": "Completed",
    "referral_withdrawn": "Withdrawn",
    "referral_overdue": "Overdue",
}


def _referrals(by: Mapping[str, list[Fact]]) -> Table:
    counts: dict[str, list[int]] = {}
    for service in SERVICES:
        row = []
        for fact in _REFERRAL_COLUMNS:
            found = [f for f in by.get(fact, []) if f.service == service]
            # Overdue is announced once per referral; count referrals, not announcements.
            overdue = fact.endswith("overdue")
            row.append(len({f.referral_id for f in found}) if overdue else len(found))
        counts[service] = row
    return _count_table(
        "referrals",
        "Referrals, by service",
        list(_REFERRAL_COLUMNS.values()),
        counts,
        "Overdue: referrals not accepted within the service level (working days).",
    )


def _acceptance(by: Mapping[str, list[Fact]]) -> Table:
    rows = []
    for service in SERVICES:
        days = [f.days for f in by.get("referral_accepted", []) if f.service == service]
        timed = [d for d in days if d is not None]
        shown = suppress_one(len(timed))
        if shown is None or not timed:  # hidden with its count; blank when there are none
            blank: Value = None if shown is None else ""
            rows.append(Row(service, [shown, blank, blank]))
            continue
        rows.append(
            Row(service, [len(timed), float(statistics.median(timed)), nearest_rank(timed, 0.9)])
        )
    return Table(
        "acceptance",
        "Working days from referral to acceptance",
        ["Referrals accepted", "Median (working days)", "90th percentile (working days)"],
        rows,
        "England and Wales bank holidays and weekends excluded; hidden for fewer than "
        f"{SMALL_NUMBER} referrals.",
        chart=1,
    )


def _assessments(by: Mapping[str, list[Fact]]) -> Table:
    done = by.get("assessment_completed", [])
    joint = sum(1 for f in done if f.joint)
    split = suppress({"joint": joint, "not joint": len(done) - joint})
    total = suppress_one(len(done))
    return Table(
        "assessments",
        "Carers assessments completed",
        ["Number", "Percent"],
        [
            Row("Completed", [total, None if total is None else 100.0]),
            Row(
                "Joint with the cared-for person", [split["joint"], percent(split["joint"], total)]
            ),
            Row(
                "Not joint",
                [split["not joint"], percent(split["not joint"], total)],
            ),
        ],
        "Every service's assessment outcomes, including the young carers team's.",
    )


def _direct_payments(by: Mapping[str, list[Fact]]) -> Table:
    kinds = {"weekly": "Weekly", "one_off": "One-off"}
    facts = {k: by.get(f"direct_payment_{k}", []) for k in kinds}
    shown = suppress({k: len(v) for k, v in facts.items()})
    rows = []
    for kind, label in kinds.items():
        total = sum((f.amount or Decimal(0) for f in facts[kind]), Decimal(0))
        count = shown[kind]
        rows.append(Row(label, [count, None if count is None else f"{total:.2f}"]))
    return Table(
        "direct-payments",
        "Carers direct payments agreed",
        ["Number", "Total amount (£)"],
        rows,
        "Weekly amounts are the weekly sum agreed, not a year's payments.",
    )


def _young_carers(by: Mapping[str, list[Fact]], passports_ever: list[Fact]) -> Table:
    young = "young_carers"
    referred = [f for f in by.get("referral_received", []) if f.service == young]
    full = [f for f in by.get("assessment_completed", []) if f.service == young]
    rows = [
        Row("Assessment referrals received", [suppress_one(len(referred))]),
        Row("Full assessments completed", [suppress_one(len(full))]),
        Row("Passports issued in the period", [suppress_one(len(by.get("passport_issued", [])))]),
        Row("Passports issued since launch", [suppress_one(len(passports_ever))]),
    ]
    return Table("young-carers", "Young carers", ["Number"], rows)


def _vasl(by: Mapping[str, list[Fact]]) -> Table:
    carers = {f.carer_id for f in by.get("referral_accepted", []) if f.service == "vasl"}
    return Table(
        "vasl",
        "Carers supported by VASL",
        ["Carers"],
        [Row("Carers with a VASL referral accepted", [suppress_one(len(carers))])],
        "Different carers, however many referrals each had.",
    )


def _known(
    period: Period,
    carers: Mapping[str, CarerRecord],
    filters: Filters,
    districts: Mapping[str, str],
) -> Table:
    end = period.end
    known = [
        c
        for c in carers.values()
        if c.merged_into is None
        and c.first_at is not None
        and c.first_at < end
        and _carer_kept(c, filters, districts)
    ]

    def before(at: Any) -> bool:
        return at is not None and at < end

    gp = [c for c in known if before(c.gp_known_at)]
    coded = [c for c in known if before(c.gp_coded_at)]
    council = [c for c in known if before(c.council_known_at)]
    both = [c for c in gp if before(c.council_known_at)]
    total = suppress_one(len(known))
    values = {"gp": len(gp), "coded": len(coded), "council": len(council), "both": len(both)}
    # Each row is shown on its own against the total: the groups overlap and some carers
    # are known to neither, so no hidden row can be worked out from the others.
    shown = {k: suppress_one(v) for k, v in values.items()}
    return Table(
        "known",
        "Carers known to their GP, to the council, and to both",
        ["Carers", "Percent of carers known"],
        [
            Row("Carers known to Carers Connect", [total, None if total is None else 100.0]),
            Row("Known to their GP", [shown["gp"], percent(shown["gp"], total)]),
            Row("Coded as a carer by their GP", [shown["coded"], percent(shown["coded"], total)]),
            Row("Known to the council", [shown["council"], percent(shown["council"], total)]),
            Row("Known to both", [shown["both"], percent(shown["both"], total)]),
        ],
        "As at the end of the period. The Health Foundation found under 7% of carers in both "
        "GP and council records; the GP coding rate is the coded row's percentage.",
    )


def _messages(by: Mapping[str, list[Fact]]) -> Table:
    columns = {"message_sent": "Sent", "message_delivered": "Delivered", "message_failed": "Failed"}
    counts = {
        channel: [sum(1 for f in by.get(k, []) if f.channel == channel) for k in columns]
        for channel in CHANNELS
    }
    return _count_table(
        "messages", "Messages to carers, by channel", list(columns.values()), counts
    )


def _monthly(period: Period, kept: list[Fact]) -> Table:
    wanted = {
        "identified_new": "New carers",
        "identified_repeat": "Repeat identifications",
        "referral_received": "Referrals received",
        "assessment_completed": "Assessments completed",
        "passport_issued": "Passports issued",
        "message_sent": "Messages sent",
    }
    months = months_of(period) if period.label.count("/") else [period]
    counts = {
        m.label: [sum(1 for f in kept if f.fact == k and m.contains(f.at)) for k in wanted]
        for m in months
    }
    return _count_table("monthly", "By month", list(wanted.values()), counts)
