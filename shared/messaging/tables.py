"""The inbox and outbox tables every service database has.

They live beside each service's own tables so that recording an event as processed (inbox),
changing state, and queueing the events that change causes (outbox) commit in ONE
transaction: either all three happen or none does.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class InboxRecord(SQLModel, table=True):
    """A (source, id) pair already processed; the primary key turns a redelivery into a no-op."""

    __tablename__ = "inbox"

    source: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=200)
    event_type: str = Field(max_length=100)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class OutboxRecord(SQLModel, table=True):
    """A message waiting for the relay; ``id`` order is publication order (per key, too)."""

    __tablename__ = "outbox"

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    topic: str = Field(max_length=200)
    key: str | None = Field(default=None, max_length=200)
    value: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    headers: str | None = Field(default=None, description="JSON object of header strings")
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


def create_messaging_tables(op: object) -> None:
    """Used by every service's first migration: the shared inbox and outbox tables."""
    from alembic.operations import Operations

    assert isinstance(op, Operations) or hasattr(op, "create_table")
    op.create_table(  # type: ignore[attr-defined]
        "inbox",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(  # type: ignore[attr-defined]
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=True),
        sa.Column("value", sa.LargeBinary, nullable=True),
        sa.Column("headers", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
