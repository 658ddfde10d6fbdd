"""CSV export and Citizen Space style import; the per-client rate limit."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from services.consultation.adapters.catalogue import load_consultations
from services.consultation.domain.tabular import ImportError_, export_csv, read_import
from services.consultation.entrypoints.ratelimit import TokenBucket
from shared.clock import VirtualClock

SLUG = "draft-leicestershire-carers-strategy-2026"


def test_the_export_has_one_row_per_response_and_one_column_per_question_or_statement() -> None:
    consultation = load_consultations()[SLUG]
    answers = {"a": "Very well", "b": {"wellbeing": "Don't know"}, "h": 'He said "no", twice'}
    text = export_csv(
        consultation,
        [
            {
                "response_id": "r1",
                "submitted_at": datetime(2026, 5, 1, tzinfo=UTC),
                "channel": "paper",
                "answers": answers,
            }
        ],
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["Response ID"] == "r1" and row["Channel"] == "paper"
    assert row[consultation.question("a").text] == "Very well"  # type: ignore[union-attr]
    assert (
        row[
            "How important, if at all, are the following priorities to you? - "
            "Carers are supported with their wellbeing"
        ]
        == "Don't know"
    )
    assert row["Do you have any other comments?"] == 'He said "no", twice'
    assert "What is your age?" not in row  # equality answers are never exported


def test_an_export_reads_back_as_the_same_answers() -> None:
    consultation = load_consultations()[SLUG]
    answers = {
        "a": "Not at all",
        "b": {"recognised": "Very important", "access": "Fairly important"},
        "respondent_type": "As a carer",
    }
    text = export_csv(
        consultation,
        [
            {
                "response_id": "r1",
                "submitted_at": datetime(2026, 5, 1, tzinfo=UTC),
                "channel": "online",
                "answers": answers,
            }
        ],
    )
    [row] = read_import(consultation, text)
    assert row.raw == {"channel": "online", "answers": answers}
    assert row.submitted == "2026-05-01T00:00:00+00:00"


def test_a_citizen_space_layout_with_numbered_headers_is_understood() -> None:
    consultation = load_consultations()[SLUG]
    text = (
        'ID,Completion date,"a) How well, if at all, do you think the draft Leicestershire '
        'Carers Strategy accurately reflects carers issues?",'
        "g) What would make the most difference to your life as a carer?\n"
        "ANON-1,2026-05-02 10:00:00,Fairly well,A break\n"
    )
    [row] = read_import(consultation, text)
    assert row.raw["answers"] == {"a": "Fairly well", "g": "A break"}


def test_an_import_with_a_column_that_matches_no_question_is_refused_by_name() -> None:
    consultation = load_consultations()[SLUG]
    with pytest.raises(ImportError_, match="Favourite colour"):
        read_import(
            consultation,
            "Response ID,Favourite colour,Do you have any other comments?\n1,blue,no\n",
        )


def test_the_token_bucket_allows_a_burst_then_the_steady_rate() -> None:
    clock = VirtualClock(datetime(2026, 5, 1, tzinfo=UTC))
    bucket = TokenBucket(per_minute=6, burst=2, clock=clock)
    assert [bucket.take("ip") for _ in range(2)] == [0.0, 0.0]
    assert bucket.take("ip") == pytest.approx(10.0)
    clock.advance(10.0)
    assert bucket.take("ip") == 0.0
    assert bucket.take("other") == 0.0
    assert TokenBucket(per_minute=0, burst=1).take("ip") == 0.0  # 0 turns the limit off
