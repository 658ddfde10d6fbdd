"""Signed-out sessions (issue 13): a cookie copied before sign-out is refused after it.

Revision ID: 0003
Revises: 0002

See shared/web/sessions.py: sign-out writes the session's id here; rows are swept once the
session would have expired anyway.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("revoked_sessions")
