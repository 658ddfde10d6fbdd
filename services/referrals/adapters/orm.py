"""Referral tables. A partial unique index makes "never two open referrals for one carer and
service" a database fact, not just a check in code that two consumers could both pass.

Columns the queue filters and sorts on are real columns; what is only ever shown (the
carer's story and details, history, outcome) is one JSON document, erased in one write.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

OPEN_ONLY = "status IN ('requested', 'accepted')"


class ReferralRow(SQLModel, table=True):
    __tablename__ = "referrals"
    __table_args__ = (
        sa.Index(
            "one_open_referral_per_service",
            "carer_id",
            "service",
            unique=True,
            sqlite_where=sa.text(OPEN_ONLY),
            postgresql_where=sa.text(OPEN_ONLY),
        ),
        sa.Index("referrals_queue", "service", "status", "due_by"),
        sa.Index("referrals_waiting", "status", "overdue", "due_by"),
    )

    referral_id: str = Field(primary_key=True, max_length=36)
    carer_id: str = Field(index=True, max_length=36)
    service: str = Field(max_length=40)
    status: str = Field(max_length=20)
    overdue: bool = False
    due_by: date
    document: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class ErasedCarerRow(SQLModel, table=True):
    """Carers the registry erased: their id only, so a late event cannot refer them again."""

    __tablename__ = "referrals_erased_carers"

    carer_id: str = Field(primary_key=True, max_length=36)
    erased_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class ReadAuditRow(SQLModel, table=True):
    """Who read which referral (and so which carer's story), when, and whether they were
    allowed; never what they saw (contract 6.4). A queue page writes one row per referral
    on it, so "who has seen this carer's story" is one query."""

    __tablename__ = "referrals_audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    subject: str = Field(max_length=200)
    role: str = Field(max_length=20)
    org: str = Field(max_length=40)
    action: str = Field(max_length=40)
    referral_id: str | None = Field(default=None, max_length=36, index=True)
    carer_id: str | None = Field(default=None, max_length=36, index=True)
    outcome: str = Field(max_length=20)


REFERRALS = ReferralRow.__table__  # type: ignore[attr-defined]
ERASED = ErasedCarerRow.__table__  # type: ignore[attr-defined]
READ_AUDIT = ReadAuditRow.__table__  # type: ignore[attr-defined]
