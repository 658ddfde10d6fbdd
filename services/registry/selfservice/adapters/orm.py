"""Tables behind carer self-service (issue 7), beside the carer record.

- ``selfservice_references``: the reference a carer was given when they told us they are a
  carer, the identification event it named, and (once the registry has processed it) the
  carer record it became. The reference is random: it is a name for the record, not a secret.
- ``selfservice_challenges``: one per sign-in code requested; only a keyed hash of the code.
- ``selfservice_locks``: wrong codes per reference or NHS number typed (a hash of it).
- ``selfservice_referrals``: every referral the carer had and where it stands, from
  ``carers.referrals.v1`` (the status snapshot keeps only open ones, and no dates).
- ``selfservice_drafts``: the answers so far to the "Tell us you are a carer" question pages,
  named by the random id in the draft cookie; deleted when sent, swept when expired.

Erasure deletes every row naming the carer.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from shared.messaging.tables import utcnow

_TS = sa.DateTime(timezone=True)


class ReferenceRow(SQLModel, table=True):
    __tablename__ = "selfservice_references"

    reference: str = Field(primary_key=True, max_length=20)
    event_id: str = Field(max_length=200, index=True)
    carer_id: str | None = Field(default=None, max_length=36, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=_TS)


class ChallengeRow(SQLModel, table=True):
    __tablename__ = "selfservice_challenges"

    challenge_id: str = Field(primary_key=True, max_length=64)
    subject: str = Field(max_length=64, index=True)
    carer_id: str | None = Field(default=None, max_length=36, index=True)
    code_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=_TS)
    expires_at: datetime = Field(sa_type=_TS)
    used_at: datetime | None = Field(default=None, sa_type=_TS)


class LockRow(SQLModel, table=True):
    __tablename__ = "selfservice_locks"

    subject: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=_TS)


class TrackedReferralRow(SQLModel, table=True):
    __tablename__ = "selfservice_referrals"

    referral_id: str = Field(primary_key=True, max_length=36)
    carer_id: str = Field(max_length=36, index=True)
    service: str = Field(max_length=30)
    status: str = Field(max_length=20)
    due_by: str | None = Field(default=None, max_length=10)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    outcome: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=_TS)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=_TS)


class DraftRow(SQLModel, table=True):
    __tablename__ = "selfservice_drafts"

    draft_id: str = Field(primary_key=True, max_length=64)
    answers: str = Field(sa_type=sa.Text)
    expires_at: datetime = Field(sa_type=_TS, index=True)
