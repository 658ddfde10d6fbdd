"""Responses, equality answers apart, interests, drafts, council responses and themes.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consultation_responses",
        sa.Column("response_id", sa.String(36), primary_key=True),
        sa.Column("consultation", sa.String(100), nullable=False, index=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("respondent_type", sa.String(200)),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("entered_by", sa.String(200)),
        sa.Column("paper_reference", sa.String(40)),
    )
    op.create_table(
        "consultation_equality",
        sa.Column("response_id", sa.String(36), primary_key=True),
        sa.Column("consultation", sa.String(100), nullable=False, index=True),
        sa.Column("answers", sa.Text, nullable=False),
    )
    op.create_table(
        "consultation_interests",
        sa.Column("interest_id", sa.String(36), primary_key=True),
        sa.Column("consultation", sa.String(100), nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(20)),
        sa.Column("registered_at", TZ, nullable=False),
    )
    op.create_table(
        "consultation_drafts",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("consultation", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "consultation_council_responses",
        sa.Column("consultation", sa.String(100), primary_key=True),
        sa.Column("we_asked", sa.Text, nullable=False),
        sa.Column("you_said", sa.Text, nullable=False),
        sa.Column("we_did", sa.Text, nullable=False),
        sa.Column("published_at", TZ, nullable=False),
    )
    op.create_table(
        "consultation_themes",
        sa.Column("consultation", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("merged_into", sa.String(80)),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "consultation_answer_themes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("consultation", sa.String(100), nullable=False, index=True),
        sa.Column("response_id", sa.String(36), nullable=False),
        sa.Column("question_id", sa.String(40), nullable=False),
        sa.Column("theme_key", sa.String(80), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "consultation_answer_themes",
        "consultation_themes",
        "consultation_council_responses",
        "consultation_drafts",
        "consultation_interests",
        "consultation_equality",
        "consultation_responses",
    ):
        op.drop_table(table)
