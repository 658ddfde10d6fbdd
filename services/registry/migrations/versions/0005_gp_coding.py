"""GP coding items (issue 17): each (carer, practice) suggested for coding, once; and who
decided a held identification's review, when and why.

Revision ID: 0005
Revises: 0004

The carer's registered practice lives in the record's document (``gp_practice_ods``); this
table is the practice's list (``GET /gp/carers-to-code``) and what makes the
``gp.coding_suggested`` event once-only per (carer, practice).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gp_coding_items",
        sa.Column("carer_id", sa.String(36), primary_key=True),
        sa.Column("practice_ods", sa.String(10), primary_key=True, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("suggested_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
    )
    with op.batch_alter_table("match_reviews") as batch:
        batch.add_column(sa.Column("decided_at", TS, nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("decision_reason", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match_reviews") as batch:
        batch.drop_column("decision_reason")
        batch.drop_column("decided_by")
        batch.drop_column("decided_at")
    op.drop_table("gp_coding_items")
