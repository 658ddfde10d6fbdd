"""Reading and writing the read model, set-at-a-time.

A batch of events loads every carer and referral it touches in one query each, and writes
its facts in one insert, as the other services do (docs/engineering.md, "hot path"). On
PostgreSQL the id lists go in as one array parameter, so the statement text never changes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel.ext.asyncio.session import AsyncSession

from services.monitoring.adapters.orm import CARERS, FACTS, GP_CODING, READ_MODEL, REFERRALS
from services.monitoring.domain.projection import (
    COUNCIL_SERVICES,
    CarerRecord,
    Fact,
    ReferralRecord,
    as_known,
)
from shared.messaging.uow import INBOX

_CARER_TIMES = ("first_at", "gp_known_at", "council_known_at")


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything is stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class ReadModelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        bind = self.session.bind
        return bind is not None and bind.dialect.name == "postgresql"

    def _among(self, column: sa.Column[Any], ids: Collection[str]) -> sa.ColumnElement[bool]:
        if self._postgres:
            return column == sa.any_(sa.bindparam("ids", list(ids), type_=ARRAY(sa.String)))
        return column.in_(list(ids))

    # -- the batch's state -----------------------------------------------------------------

    async def carers(self, ids: Collection[str]) -> dict[str, CarerRecord]:
        if not ids:
            return {}
        rows = await self.session.execute(
            sa.select(CARERS).where(self._among(CARERS.c.carer_id, ids))
        )
        return {row.carer_id: _carer(row) for row in rows}

    async def referrals(self, ids: Collection[str]) -> dict[str, ReferralRecord]:
        if not ids:
            return {}
        rows = await self.session.execute(
            sa.select(REFERRALS).where(self._among(REFERRALS.c.referral_id, ids))
        )
        return {
            row.referral_id: ReferralRecord(
                row.referral_id,
                row.carer_id,
                row.service,
                _aware(row.created_at),
                _aware(row.accepted_at),
            )
            for row in rows
        }

    async def gp_coded(self, ids: Collection[str]) -> dict[str, datetime]:
        if not ids:
            return {}
        rows = await self.session.execute(
            sa.select(GP_CODING).where(self._among(GP_CODING.c.carer_id, ids))
        )
        return {row.carer_id: _aware(row.coded_at) for row in rows}  # type: ignore[misc]

    async def save(
        self,
        carers: Iterable[CarerRecord],
        referrals: Iterable[ReferralRecord],
        facts: Iterable[Fact],
        gp_coded: Mapping[str, datetime] | None = None,
    ) -> None:
        """Replace the batch's carers, referrals and GP codings, add its facts."""
        carer_rows = [_carer_values(c) for c in carers]
        referral_rows = [
            {
                "referral_id": r.referral_id,
                "carer_id": r.carer_id,
                "service": r.service,
                "created_at": _utc(r.created_at),
                "accepted_at": _utc(r.accepted_at),
            }
            for r in referrals
        ]
        coded_rows = [
            {"carer_id": carer_id, "coded_at": _utc(at)}
            for carer_id, at in (gp_coded or {}).items()
        ]
        for table, key, rows in (
            (CARERS, "carer_id", carer_rows),
            (REFERRALS, "referral_id", referral_rows),
            (GP_CODING, "carer_id", coded_rows),
        ):
            if rows:
                ids = [str(row[key]) for row in rows]
                await self.session.execute(sa.delete(table).where(self._among(table.c[key], ids)))
                await self.session.execute(sa.insert(table), rows)
        fact_rows = [_fact_values(f) for f in facts]
        if fact_rows:
            await self.session.execute(sa.insert(FACTS), fact_rows)

    # -- what the figures read -------------------------------------------------------------

    async def facts_between(self, start: datetime, end: datetime) -> list[Fact]:
        rows = await self.session.execute(
            sa.select(FACTS).where(FACTS.c.at >= _utc(start), FACTS.c.at < _utc(end))
        )
        return [_fact(row) for row in rows]

    async def facts_named(self, name: str) -> list[Fact]:
        rows = await self.session.execute(sa.select(FACTS).where(FACTS.c.fact == name))
        return [_fact(row) for row in rows]

    async def all_carers(self) -> dict[str, CarerRecord]:
        """Every carer, with when a GP coded them and when a council team was first asked."""
        carers = {
            row.carer_id: _carer(row) for row in await self.session.execute(sa.select(CARERS))
        }
        coded = {
            row.carer_id: _aware(row.coded_at)
            for row in await self.session.execute(sa.select(GP_CODING))
        }
        first_referral = (
            sa.select(REFERRALS.c.carer_id, sa.func.min(REFERRALS.c.created_at).label("at"))
            .where(REFERRALS.c.service.in_(sorted(COUNCIL_SERVICES)))
            .where(REFERRALS.c.created_at.is_not(None))
            .group_by(REFERRALS.c.carer_id)
        )
        referred = {
            row.carer_id: _aware(row.at) for row in await self.session.execute(first_referral)
        }
        return as_known(carers, coded, referred)  # type: ignore[arg-type]

    async def fact_count(self) -> int:
        return int(await self.session.scalar(sa.select(sa.func.count()).select_from(FACTS)) or 0)

    async def clear(self) -> None:
        """Empty the read model and its inbox, for a rebuild from offset 0."""
        for table in (*READ_MODEL, INBOX):
            await self.session.execute(sa.delete(table))


def _carer(row: Any) -> CarerRecord:
    return CarerRecord(
        row.carer_id,
        row.category,
        row.first_kind,
        _aware(row.first_at),
        row.postcode_district,
        _aware(row.gp_known_at),
        None,
        _aware(row.council_known_at),
        row.merged_into,
        set(json.loads(row.sources)),
    )


def _carer_values(carer: CarerRecord) -> dict[str, Any]:
    values: dict[str, Any] = {
        "carer_id": carer.carer_id,
        "category": carer.category,
        "first_kind": carer.first_kind,
        "postcode_district": carer.postcode_district,
        "merged_into": carer.merged_into,
        "sources": json.dumps(sorted(carer.sources)),
    }
    for name in _CARER_TIMES:
        values[name] = _utc(getattr(carer, name))
    return values


def _fact_values(fact: Fact) -> dict[str, Any]:
    return {
        "fact": fact.fact,
        "at": _utc(fact.at),
        "carer_id": fact.carer_id,
        "event_id": fact.event_id,
        "service": fact.service,
        "kind": fact.kind,
        "org_code": fact.org_code,
        "category": fact.category,
        "channel": fact.channel,
        "amount": None if fact.amount is None else f"{fact.amount:.2f}",
        "joint": fact.joint,
        "days": fact.days,
        "referral_id": fact.referral_id,
    }


def _fact(row: Any) -> Fact:
    at = _aware(row.at)
    assert at is not None
    return Fact(
        row.fact,
        at,
        row.carer_id,
        row.event_id,
        row.service,
        row.kind,
        row.org_code,
        row.category,
        row.channel,
        None if row.amount is None else Decimal(row.amount),
        bool(row.joint),
        row.days,
        row.referral_id,
    )
