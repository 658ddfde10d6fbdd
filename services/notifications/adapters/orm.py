"""Notification tables: contacts (a copy kept for reaching carers) and send records.

Personal data lives only in ``contacts.document`` and in a send record's ``recipient``,
``subject`` and ``body``; erasure clears exactly those, and keeps the rest (template, status,
times) so the council can still count what was sent.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from shared.messaging.tables import utcnow


class ContactRow(SQLModel, table=True):
    """How to reach a carer (JSON of ``Contact``), and whether they unsubscribed from email.

    The opt-out is a column of its own because the registry's updates replace the document
    and must not undo an unsubscribe.
    """

    __tablename__ = "contacts"

    carer_id: str = Field(primary_key=True, max_length=36)
    document: str = Field(sa_type=sa.Text)
    email_opted_out: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class NotificationRow(SQLModel, table=True):
    """A send record, committed before the provider is called (the "never twice" guard).

    ``idempotency_key`` is unique per (event, template, carer). ``notification_id`` is the
    reference the provider holds (Notify's ``reference``, the email's ``Message-ID``), which
    is how a send whose outcome a crash hid is found again. ``uncertain`` says the provider
    may have the message: look it up before any resend.
    """

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_due", "status", "not_before"),)

    notification_id: str = Field(primary_key=True, max_length=36)
    idempotency_key: str = Field(unique=True, max_length=64)
    carer_id: str = Field(index=True, max_length=36)
    event_id: str = Field(max_length=200)
    event_type: str = Field(max_length=60)
    referral_id: str | None = Field(default=None, max_length=36)
    context: str = Field(default="{}", sa_type=sa.Text)
    template_id: str = Field(max_length=80)
    template_version: int = 0
    variant: str | None = Field(default=None, max_length=30)
    language: str | None = Field(default=None, max_length=10)
    channel: str = Field(max_length=10)
    status: str = Field(max_length=30, index=True)
    reason: str | None = Field(default=None, max_length=500)
    recipient: str | None = Field(default=None, max_length=320)
    subject: str | None = Field(default=None, max_length=300)
    body: str | None = Field(default=None, sa_type=sa.Text)
    not_before: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    attempts: int = 0
    uncertain: bool = False
    provider: str | None = Field(default=None, max_length=20)
    provider_reference: str | None = Field(default=None, max_length=100, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    completed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ReadAuditRow(SQLModel, table=True):
    """Who looked at which carer's messages (or which status list), when, and whether they
    were allowed; never what they saw (contract 6.4: every read of a notification is audited).
    """

    __tablename__ = "notifications_audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), index=True)
    subject: str = Field(max_length=200)
    role: str = Field(max_length=20)
    org: str = Field(max_length=40)
    action: str = Field(max_length=40)
    carer_id: str | None = Field(default=None, max_length=36, index=True)
    outcome: str = Field(max_length=20)
