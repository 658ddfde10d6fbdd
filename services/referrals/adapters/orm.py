"""Referral tables. A partial unique index makes "never two open referrals for one carer and
service" a database fact, not just a check in code that two consumers could both pass."""

from __future__ import annotations

from datetime import datetime

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
    )

    referral_id: str = Field(primary_key=True, max_length=36)
    carer_id: str = Field(index=True, max_length=36)
    service: str = Field(max_length=40)
    status: str = Field(max_length=20, index=True)
    overdue: bool = False
    document: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
