"""Projecting batches of published events into the read model, and reading the figures.

One batch handler for every event type the read model counts: the processor hands over
consecutive runs of events, the handler loads each carer and referral they touch in one
query, applies the events in order in memory (:class:`Projection`) and writes the result in
a few statements. Events keep their order within a partition, which is all the projection
needs: a referral's events share its key, a carer's share theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.monitoring.domain.figures import Filters, Table, compute
from services.monitoring.domain.periods import Period
from services.monitoring.domain.projection import HANDLED, Fact, Projection
from services.monitoring.service_layer.unit_of_work import MonitoringUnitOfWork
from shared.calendar import WorkingCalendar
from shared.messaging.processor import BatchHandler, Event

REGISTRY_TYPES = frozenset({"carer.registered", "carer.updated", "carer.merged", "carer.erased"})


def _ids(events: list[Event], bodies: list[dict[str, Any]]) -> tuple[set[str], set[str], set[str]]:
    """The state this batch needs, by topic: carers (registry), GP codings (status),
    referrals (referrals). Nothing else is loaded, so nothing else is written back."""
    carers: set[str] = set()
    coded: set[str] = set()
    referrals: set[str] = set()
    for (envelope, _), data in zip(events, bodies, strict=True):
        if envelope.type in REGISTRY_TYPES:
            carers.add(data["carer_id"])
            if data.get("merged_carer_id"):
                carers.add(data["merged_carer_id"])
        elif envelope.type == "carer.status":
            coded.add(data["carer_id"])
        elif envelope.type.startswith("referral."):
            referrals.add(data["referral_id"])
    return carers, coded, referrals


def projector(calendar: WorkingCalendar) -> BatchHandler[MonitoringUnitOfWork]:
    """The batch handler, with the working-day calendar the acceptance times are counted on."""

    async def project(events: list[Event], uow: MonitoringUnitOfWork) -> None:
        bodies = [body.model_dump() for _, body in events]
        carer_ids, coded_ids, referral_ids = _ids(events, bodies)
        projection = Projection(
            await uow.read_model.carers(carer_ids),
            await uow.read_model.referrals(referral_ids),
            calendar,
            await uow.read_model.gp_coded(coded_ids),
        )
        facts: list[Fact] = []
        for (envelope, _), data in zip(events, bodies, strict=True):
            facts.extend(projection.apply(envelope.type, envelope.id, envelope.time, data))
        await uow.read_model.save(
            projection.carers.values(),
            projection.referrals.values(),
            facts,
            {i: projection.gp_coded[i] for i in coded_ids if i in projection.gp_coded},
        )

    return project


def batch_handlers(calendar: WorkingCalendar) -> dict[str, BatchHandler[MonitoringUnitOfWork]]:
    project = projector(calendar)
    return dict.fromkeys(HANDLED, project)


async def figures(
    uow: MonitoringUnitOfWork,
    period: Period,
    filters: Filters,
    districts: Mapping[str, str],
) -> list[Table]:
    """Every figure for the period, filtered and suppressed."""
    facts = await uow.read_model.facts_between(period.start, period.end)
    passports = await uow.read_model.facts_named("passport_issued")
    carers = await uow.read_model.all_carers()
    return compute(period, facts, carers, passports, filters, districts)


def as_json(period: Period, filters: Filters, tables: list[Table]) -> dict[str, Any]:
    """The JSON download: the same tables the page shows; null is a hidden small number."""
    return {
        "period": period.label,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "filters": filters.active(),
        "suppressed": "null: a count from 1 to 4, or one that would reveal such a count",
        "tables": [t.as_dict() for t in tables],
    }
