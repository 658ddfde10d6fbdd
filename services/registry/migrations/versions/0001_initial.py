"""Carer records, identity match locks, match reviews, erasures, audit log, inbox and outbox.

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


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "carers",
        sa.Column("carer_id", sa.String(36), primary_key=True),
        sa.Column("nhs_number", sa.String(10), nullable=True, unique=True),
        sa.Column("match_key", sa.String(600), nullable=True, index=True),
        sa.Column("category", sa.String(20), nullable=True, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table("match_locks", sa.Column("key", sa.String(64), primary_key=True))
    op.create_table(
        "erased_carers",
        sa.Column("carer_id", sa.String(36), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("org", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("carer_id", sa.String(36), nullable=True, index=True),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    op.create_table(
        "match_reviews",
        sa.Column("review_id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("candidate_ids", sa.Text, nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "audit_log",
        "erased_carers",
        "match_reviews",
        "match_locks",
        "carers",
        "outbox",
        "inbox",
    ):
        op.drop_table(table)
