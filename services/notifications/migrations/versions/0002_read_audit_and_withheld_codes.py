"""Audit log of reads; sign-in codes taken out of stored messages (issue 13).

Revision ID: 0002
Revises: 0001

Messages stored before this revision held the sign-in code in their subject and body. The
code is replaced by ``[code hidden]``; one still waiting to be sent is cancelled (it could
no longer carry its code, and codes last ten minutes: the carer asks for another).
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WITHHELD = "[code hidden]"
SIX_DIGITS = re.compile(r"\b\d{6}\b")


def upgrade() -> None:
    op.create_table(
        "notifications_audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("org", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("carer_id", sa.String(36), nullable=True, index=True),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    notifications = sa.table(
        "notifications",
        sa.column("notification_id", sa.String),
        sa.column("template_id", sa.String),
        sa.column("status", sa.String),
        sa.column("reason", sa.String),
        sa.column("subject", sa.String),
        sa.column("body", sa.Text),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            notifications.c.notification_id,
            notifications.c.status,
            notifications.c.subject,
            notifications.c.body,
        ).where(notifications.c.template_id == "signin-code")
    ).all()
    for row in rows:
        values = {
            "subject": SIX_DIGITS.sub(WITHHELD, row.subject) if row.subject else row.subject,
            "body": SIX_DIGITS.sub(WITHHELD, row.body) if row.body else row.body,
        }
        if row.status in ("pending", "claimed", "awaiting-contact"):
            values |= {"status": "cancelled", "reason": "sign-in codes are no longer stored"}
        connection.execute(
            notifications.update()
            .where(notifications.c.notification_id == row.notification_id)
            .values(**values)
        )


def downgrade() -> None:
    op.drop_table("notifications_audit_log")
