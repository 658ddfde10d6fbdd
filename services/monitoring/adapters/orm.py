"""The read model's tables: facts to count, and the little kept about carers and referrals.

Facts are rows, not running totals, because the figures need medians, distinct carers and
any filter the council asks for next; a total cannot be filtered after the fact.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

DATETIME = sa.DateTime(timezone=True)


class FactRow(SQLModel, table=True):
    __tablename__ = "monitoring_facts"
    __table_args__ = (sa.Index("monitoring_facts_by_time", "fact", "at"),)

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    fact: str = Field(max_length=40)
    at: datetime = Field(sa_type=DATETIME)
    carer_id: str = Field(max_length=64)
    event_id: str = Field(max_length=200)
    service: str | None = Field(default=None, max_length=40)
    kind: str | None = Field(default=None, max_length=20)
    org_code: str | None = Field(default=None, max_length=40)
    category: str | None = Field(default=None, max_length=30)
    channel: str | None = Field(default=None, max_length=10)
    amount: str | None = Field(default=None, max_length=20)
    joint: bool = False
    days: int | None = None
    referral_id: str | None = Field(default=None, max_length=64)


class CarerRow(SQLModel, table=True):
    __tablename__ = "monitoring_carers"

    carer_id: str = Field(primary_key=True, max_length=64)
    category: str | None = Field(default=None, max_length=30)
    first_kind: str | None = Field(default=None, max_length=20)
    first_at: datetime | None = Field(default=None, sa_type=DATETIME)
    postcode_district: str | None = Field(default=None, max_length=8)
    gp_known_at: datetime | None = Field(default=None, sa_type=DATETIME)
    council_known_at: datetime | None = Field(default=None, sa_type=DATETIME)
    merged_into: str | None = Field(default=None, max_length=64)
    sources: str = Field(default="[]", sa_type=sa.Text)


class GpCodingRow(SQLModel, table=True):
    """When a GP first coded the carer (from the status snapshots): written by that topic's
    consumer only, so it never races the registry topic's consumer over a carer row."""

    __tablename__ = "monitoring_gp_coding"

    carer_id: str = Field(primary_key=True, max_length=64)
    coded_at: datetime = Field(sa_type=DATETIME)


class ReferralRow(SQLModel, table=True):
    __tablename__ = "monitoring_referrals"

    referral_id: str = Field(primary_key=True, max_length=64)
    carer_id: str = Field(max_length=64)
    service: str = Field(max_length=40)
    created_at: datetime | None = Field(default=None, sa_type=DATETIME)
    accepted_at: datetime | None = Field(default=None, sa_type=DATETIME)


FACTS = FactRow.__table__  # type: ignore[attr-defined]
CARERS = CarerRow.__table__  # type: ignore[attr-defined]
REFERRALS = ReferralRow.__table__  # type: ignore[attr-defined]
GP_CODING = GpCodingRow.__table__  # type: ignore[attr-defined]
READ_MODEL = (FACTS, CARERS, REFERRALS, GP_CODING)
