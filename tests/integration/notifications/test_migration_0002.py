"""Migration 0002 takes sign-in codes out of messages stored before issue 13 (SQLite; the
statements are plain SQL, the same on PostgreSQL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from services.notifications.__main__ import MIGRATIONS
from shared.migrations import upgrade

COLUMNS = (
    "notification_id, idempotency_key, carer_id, event_id, event_type, context, template_id, "
    "template_version, channel, status, subject, body, attempts, uncertain, created_at, "
    "updated_at"
)


def _row(n: int, template: str, status: str, subject: str | None, body: str) -> tuple:
    at = "2026-03-02 10:00:00"
    return (f"n{n}", f"k{n}", "c1", f"e{n}", "x", "{}", template, 1, "email", status,
            subject, body, 1, False, at, at)  # fmt: skip


def test_codes_stored_before_are_hidden_and_an_unsent_code_is_cancelled(tmp_path: Path) -> None:
    database = tmp_path / "notifications.db"
    upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{database}", "0001")
    with sqlite3.connect(database) as connection:
        connection.executemany(
            f"INSERT INTO notifications ({COLUMNS}) VALUES ({', '.join('?' * 16)})",
            [
                _row(1, "signin-code", "sent", "Your code: 042917", "Your code is 042917."),
                _row(2, "signin-code", "pending", "Your code: 731150", "Type 731150 now."),
                _row(3, "referral-created", "sent", "Help", "Call 0116 496 000 or 123456."),
            ],
        )
    upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{database}", "0002")
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT notification_id, status, subject, body FROM notifications ORDER BY 1"
        ).fetchall()
        audit = connection.execute("SELECT count(*) FROM notifications_audit_log").fetchone()
    assert rows == [
        ("n1", "sent", "Your code: [code hidden]", "Your code is [code hidden]."),
        ("n2", "cancelled", "Your code: [code hidden]", "Type [code hidden] now."),
        ("n3", "sent", "Help", "Call 0116 496 000 or 123456."),
    ]
    assert audit == (0,)
