"""The monitoring read model: facts, carers, GP coding, referrals; inbox, outbox, sessions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.messaging.tables import create_messaging_tables
from shared.web.sessions import create_revoked_sessions_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_messaging_tables(op)
    create_revoked_sessions_table(op)
    op.create_table(
        "monitoring_facts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("fact", sa.String(40), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("carer_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("service", sa.String(40)),
        sa.Column("kind", sa.String(20)),
        sa.Column("org_code", sa.String(40)),
        sa.Column("category", sa.String(30)),
        sa.Column("channel", sa.String(10)),
        sa.Column("amount", sa.String(20)),
        sa.Column("joint", sa.Boolean, nullable=False),
        sa.Column("days", sa.Integer),
        sa.Column("referral_id", sa.String(64)),
    )
    op.create_index("monitoring_facts_by_time", "monitoring_facts", ["fact", "at"])
    op.create_table(
        "monitoring_carers",
        sa.Column("carer_id", sa.String(64), primary_key=True),
        sa.Column("category", sa.String(30)),
        sa.Column("first_kind", sa.String(20)),
        sa.Column("first_at", WHEN),
        sa.Column("postcode_district", sa.String(8)),
        sa.Column("gp_known_at", WHEN),
        sa.Column("council_known_at", WHEN),
        sa.Column("merged_into", sa.String(64)),
        sa.Column("sources", sa.Text, nullable=False),
    )
    op.create_table(
        "monitoring_gp_coding",
        sa.Column("carer_id", sa.String(64), primary_key=True),
        sa.Column("coded_at", WHEN, nullable=False),
    )
    op.create_table(
        "monitoring_referrals",
        sa.Column("referral_id", sa.String(64), primary_key=True),
        sa.Column("carer_id", sa.String(64), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("created_at", WHEN),
        sa.Column("accepted_at", WHEN),
    )


def downgrade() -> None:
    tables = (
        "monitoring_referrals",
        "monitoring_gp_coding",
        "monitoring_carers",
        "monitoring_facts",
    )
    for table in tables:
        op.drop_table(table)
    op.drop_table("revoked_sessions")
    op.drop_table("outbox")
    op.drop_table("inbox")
