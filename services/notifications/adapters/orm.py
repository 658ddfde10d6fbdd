"""Notification tables: contacts (a copy kept for reaching carers) and send records."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from shared.messaging.tables import utcnow


class ContactRow(SQLModel, table=True):
    __tablename__ = "contacts"

    carer_id: str = Field(primary_key=True, max_length=36)
    document: str = Field(sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class NotificationRow(SQLModel, table=True):
    """A send record, committed before the provider is called (the "never twice" guard)."""

    __tablename__ = "notifications"

    notification_id: str = Field(primary_key=True, max_length=36)
    idempotency_key: str = Field(unique=True, max_length=64)
    carer_id: str = Field(index=True, max_length=36)
    event_id: str = Field(max_length=200)
    event_type: str = Field(max_length=60)
    referral_id: str | None = Field(default=None, max_length=36)
    template_id: str = Field(max_length=80)
    template_version: int = 1
    channel: str = Field(max_length=10)
    status: str = Field(max_length=30, index=True)
    provider_reference: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
