"""Contacts, notifications (send records), inbox and outbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.messaging.tables import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "contacts",
        sa.Column("carer_id", sa.String(36), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("email_opted_out", sa.Boolean, nullable=False, server_default=sa.false()),
        _when("updated_at", nullable=False),
    )
    op.create_table(
        "notifications",
        sa.Column("notification_id", sa.String(36), primary_key=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("carer_id", sa.String(36), nullable=False, index=True),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=True),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("template_id", sa.String(80), nullable=False),
        sa.Column("template_version", sa.Integer, nullable=False),
        sa.Column("variant", sa.String(30), nullable=True),
        sa.Column("language", sa.String(10), nullable=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("status", sa.String(30), nullable=False, index=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=True),
        sa.Column("subject", sa.String(300), nullable=True),
        sa.Column("body", sa.Text, nullable=True),
        _when("not_before"),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("uncertain", sa.Boolean, nullable=False),
        sa.Column("provider", sa.String(20), nullable=True),
        sa.Column("provider_reference", sa.String(100), nullable=True, index=True),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("sent_at"),
        _when("completed_at"),
    )
    op.create_index("ix_notifications_due", "notifications", ["status", "not_before"])


def downgrade() -> None:
    for table in ("notifications", "contacts", "outbox", "inbox"):
        op.drop_table(table)
