"""Registry tables. The carer record is a JSON document beside the columns matching needs.

The unique ``nhs_number`` column is the last line of defence for "one record per NHS
number"; ``match_locks`` rows serialise concurrent identifications of one person (see
``repository.CarerRepository.lock``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from shared.messaging.tables import utcnow


class CarerRow(SQLModel, table=True):
    __tablename__ = "carers"

    carer_id: str = Field(primary_key=True, max_length=36)
    nhs_number: str | None = Field(default=None, unique=True, max_length=10)
    match_key: str | None = Field(default=None, index=True, max_length=600)
    category: str | None = Field(default=None, index=True, max_length=20)
    version: int = 0
    document: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class MatchLock(SQLModel, table=True):
    """One row per identity key, locked while matching on it. The key is a SHA-256 of
    "nhs:<number>" or "demo:<name|dob|postcode>", so the lock table holds no personal data
    and needs nothing done on erasure."""

    __tablename__ = "match_locks"

    key: str = Field(primary_key=True, max_length=64)


class MatchReview(SQLModel, table=True):
    """An identification held for a person to review: it matched more than one record."""

    __tablename__ = "match_reviews"

    review_id: str = Field(primary_key=True, max_length=36)
    event_id: str = Field(max_length=200)
    source: str = Field(max_length=200)
    reason: str = Field(max_length=500)
    candidate_ids: str = Field(sa_type=sa.Text, description="JSON list of carer ids")
    envelope: str = Field(sa_type=sa.Text, description="the identification, to apply later")
    status: str = Field(default="open", max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    # Who decided, when and why (migration 0005): a merge cannot be undone, so it is explained.
    decided_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    decided_by: str | None = Field(default=None, max_length=200)
    decision_reason: str | None = Field(default=None, sa_type=sa.Text)


class ErasedCarer(SQLModel, table=True):
    """A carer whose personal data was erased: later events naming them are refused."""

    __tablename__ = "erased_carers"

    carer_id: str = Field(primary_key=True, max_length=36)
    erased_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class AuditEntry(SQLModel, table=True):
    """Who read (or tried to read) which carer record, and when; never the data itself."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), index=True)
    subject: str = Field(max_length=200)
    role: str = Field(max_length=20)
    org: str = Field(max_length=40)
    action: str = Field(max_length=40)
    carer_id: str | None = Field(default=None, max_length=36, index=True)
    outcome: str = Field(max_length=20)


class ClaimRow(SQLModel, table=True):
    """Something said about a carer that is held until the carer or an officer confirms it.

    ``kind`` ``identification``: a self-identification ("Tell us you are a carer") that
    matched an existing record; ``proposal`` holds its envelope, applied only on
    confirmation. ``consent``: a partner widening sharing to itself; ``proposal`` holds what
    it would add. Personal data: deleted with the carer on erasure.
    """

    __tablename__ = "claims"

    claim_id: str = Field(primary_key=True, max_length=36)
    carer_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=20)
    status: str = Field(default="pending", max_length=20, index=True)
    event_id: str = Field(max_length=200, index=True)
    source: str = Field(max_length=200)
    proposal: str = Field(sa_type=sa.Text, description="JSON: what applying it would do")
    recorded_by: str = Field(sa_type=sa.Text, description="JSON: who said it")
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    decided_by: str | None = Field(default=None, sa_type=sa.Text, description="JSON: who")
