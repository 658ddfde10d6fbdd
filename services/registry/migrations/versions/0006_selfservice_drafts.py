"""Carer self-service: answers to the "Tell us you are a carer" question pages (issue 17).

Revision ID: 0006
Revises: 0005

One row per draft, named by a random id held in the carer's draft cookie; the answers so far
as JSON, so they survive going back and forward between the pages. A draft is deleted once
sent (the confirmation keeps only the reference) and swept after it expires.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "selfservice_drafts",
        sa.Column("draft_id", sa.String(64), primary_key=True),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("selfservice_drafts")
