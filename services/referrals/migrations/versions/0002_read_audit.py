"""Audit log of referral reads; carers' details removed from referrals withdrawn for consent
(issue 13).

Revision ID: 0002
Revises: 0001

Referrals withdrawn before this revision because the carer withdrew consent still held the
carer's story and contact details; they lose them here, as new withdrawals do. (A closed
referral whose partner lost consent later loses them with the carer's next update.)
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

REMOVED = "withdrawn consent: details removed"


def upgrade() -> None:
    op.create_table(
        "referrals_audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("org", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=True, index=True),
        sa.Column("carer_id", sa.String(36), nullable=True, index=True),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    referrals = sa.table(
        "referrals",
        sa.column("referral_id", sa.String),
        sa.column("status", sa.String),
        sa.column("document", sa.Text),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(referrals.c.referral_id, referrals.c.document).where(
            referrals.c.status == "withdrawn"
        )
    ).all()
    for row in rows:
        document = json.loads(row.document)
        if document.get("withdrawn_for") != "consent" or document.get("details_removed"):
            continue
        document |= {
            "story": None,
            "identified_by": [],
            "caring_for": [],
            "contact": {},
            "details_removed": REMOVED,
        }
        connection.execute(
            referrals.update()
            .where(referrals.c.referral_id == row.referral_id)
            .values(document=json.dumps(document, ensure_ascii=False))
        )


def downgrade() -> None:
    op.drop_table("referrals_audit_log")
