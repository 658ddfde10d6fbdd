"""Referrals, erased carers, inbox and outbox.

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

OPEN_ONLY = "status IN ('requested', 'accepted')"


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "referrals",
        sa.Column("referral_id", sa.String(36), primary_key=True),
        sa.Column("carer_id", sa.String(36), nullable=False, index=True),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("overdue", sa.Boolean, nullable=False),
        sa.Column("due_by", sa.Date, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Never two open referrals for one carer and service, whatever the consumers do.
    op.create_index(
        "one_open_referral_per_service",
        "referrals",
        ["carer_id", "service"],
        unique=True,
        sqlite_where=sa.text(OPEN_ONLY),
        postgresql_where=sa.text(OPEN_ONLY),
    )
    op.create_index("referrals_queue", "referrals", ["service", "status", "due_by"])
    op.create_index("referrals_waiting", "referrals", ["status", "overdue", "due_by"])
    op.create_table(
        "referrals_erased_carers",
        sa.Column("carer_id", sa.String(36), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("referrals_erased_carers")
    op.drop_table("referrals")
    op.drop_table("outbox")
    op.drop_table("inbox")
