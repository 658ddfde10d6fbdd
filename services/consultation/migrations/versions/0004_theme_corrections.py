"""Officers' theme corrections kept in the database (issue 16), not a file on one machine.

Revision ID: 0004
Revises: 0003

One row per answer (the primary key is the answer: consultation, response, question), so a
later correction replaces the earlier; ``learned_at`` is empty until ``themes retrain``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "theme_corrections",
        sa.Column("consultation", sa.String(100), primary_key=True),
        sa.Column("response_id", sa.String(36), primary_key=True),
        sa.Column("question_id", sa.String(40), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("themes", sa.Text, nullable=False),
        sa.Column("corrected_by", sa.String(200), nullable=False),
        sa.Column("corrected_at", TZ, nullable=False),
        sa.Column("learned_at", TZ),
    )


def downgrade() -> None:
    op.drop_table("theme_corrections")
