"""Carer self-service: references, sign-in challenges, locks, tracked referrals (issue 7).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "selfservice_references",
        sa.Column("reference", sa.String(20), primary_key=True),
        sa.Column("event_id", sa.String(200), nullable=False, index=True),
        sa.Column("carer_id", sa.String(36), nullable=True, index=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "selfservice_challenges",
        sa.Column("challenge_id", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String(64), nullable=False, index=True),
        sa.Column("carer_id", sa.String(36), nullable=True, index=True),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
    )
    op.create_table(
        "selfservice_locks",
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", TS, nullable=True),
    )
    op.create_table(
        "selfservice_referrals",
        sa.Column("referral_id", sa.String(36), primary_key=True),
        sa.Column("carer_id", sa.String(36), nullable=False, index=True),
        sa.Column("service", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("due_by", sa.String(10), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "selfservice_referrals",
        "selfservice_locks",
        "selfservice_challenges",
        "selfservice_references",
    ):
        op.drop_table(table)
