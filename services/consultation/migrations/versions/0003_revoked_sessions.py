"""Signed-out sessions (issue 13): a cookie copied before sign-out is refused after it.

Revision ID: 0003
Revises: 0002

See shared/web/sessions.py: sign-out writes the session's id here; rows are swept once the
session would have expired anyway.
"""

from alembic import op

from shared.web.sessions import TABLE, create_revoked_sessions_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_revoked_sessions_table(op)


def downgrade() -> None:
    op.drop_table(TABLE)
