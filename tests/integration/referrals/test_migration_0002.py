"""Migration 0002 empties referrals withdrawn for consent before issue 13 (SQLite; the
statements are plain SQL, the same on PostgreSQL)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from services.referrals.__main__ import MIGRATIONS
from shared.migrations import upgrade

DETAILS = {
    "category": "adult_carer",
    "story": "I look after my mum.",
    "identified_by": [{"kind": "gp", "org_code": "C82001"}],
    "caring_for": [{"relationship": "parent"}],
    "contact": {"given_name": "Siân", "email": "sian@example.org"},
    "reason": "the carer withdrew consent to share with VASL",
    "history": [],
}


def test_referrals_withdrawn_for_consent_lose_the_carers_details(tmp_path: Path) -> None:
    database = tmp_path / "referrals.db"
    upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{database}", "0001")
    at = "2026-03-02 10:00:00"
    rows = [
        ("r1", "withdrawn", {**DETAILS, "withdrawn_for": "consent"}),
        ("r2", "withdrawn", {**DETAILS, "withdrawn_for": "staff"}),
        ("r3", "requested", DETAILS),
    ]
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO referrals (referral_id, carer_id, service, status, overdue, due_by, "
            "document, created_at, updated_at) "
            "VALUES (?, 'c1', 'vasl', ?, 0, '2026-03-09', ?, ?, ?)",
            [(rid, status, json.dumps(doc), at, at) for rid, status, doc in rows],
        )
    upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{database}", "0002")
    with sqlite3.connect(database) as connection:
        found = dict(connection.execute("SELECT referral_id, document FROM referrals").fetchall())
        audit = connection.execute("SELECT count(*) FROM referrals_audit_log").fetchone()
    scrubbed = json.loads(found["r1"])
    assert scrubbed["details_removed"] == "withdrawn consent: details removed"
    assert (scrubbed["story"], scrubbed["contact"], scrubbed["caring_for"]) == (None, {}, [])
    assert scrubbed["identified_by"] == [] and scrubbed["category"] == "adult_carer"
    assert scrubbed["reason"] == DETAILS["reason"], "what the referral was stays"
    assert json.loads(found["r2"]) == {**DETAILS, "withdrawn_for": "staff"}
    assert json.loads(found["r3"]) == DETAILS
    assert audit == (0,)
