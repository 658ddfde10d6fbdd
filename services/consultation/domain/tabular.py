"""Responses as a table: the CSV export, and reading a Citizen Space style export back in.

One row per response and one column per question, headed by the question's own wording; a
matrix question has one column per statement ("question - statement"), and the options
of a multiple-choice answer are joined by "; ". Equality answers and contact details are
never exported: they are stored apart and reported only in aggregate.

Answers are typed by the public and the file is opened in spreadsheets, where a cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
(``=HYPERLINK(...)`` sends the officer's click elsewhere). Every such cell is written with a
leading single quote, OWASP's rule for CSV injection, and reading our own export back in
removes that quote again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.consultation.domain.definition import Consultation, Question

FIXED = ("Response ID", "Submitted", "Channel", "Paper reference")
MATRIX_JOIN = " - "
MULTI_JOIN = "; "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """The cell as a spreadsheet shows it as text: a formula-like start gets a quote."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _restore(cell: str) -> str:
    """The answer as typed, from a cell :func:`neutralise` may have quoted."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def columns(consultation: Consultation) -> list[tuple[str, Question, str | None]]:
    """``(header, question, matrix row id)`` for every answer column, in question order."""
    out: list[tuple[str, Question, str | None]] = []
    for question in consultation.questions:
        if question.kind == "matrix":
            out.extend(
                (f"{question.text}{MATRIX_JOIN}{row.text}", question, row.id)
                for row in question.rows
            )
        else:
            out.append((question.text, question, None))
    return out


def _cell(question: Question, value: Any, row_id: str | None) -> str:
    if value is None:
        return ""
    if row_id is not None:
        return str(value.get(row_id, "")) if isinstance(value, Mapping) else ""
    if isinstance(value, list):
        return MULTI_JOIN.join(value)
    return str(value)


def export_csv(consultation: Consultation, responses: Iterable[Mapping[str, Any]]) -> str:
    """CSV text: ``responses`` are mappings with response_id, submitted_at, channel, answers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    layout = columns(consultation)
    writer.writerow([*FIXED, *(header for header, _, _ in layout)])
    for response in responses:
        answers = response["answers"]
        cells = [
            response["response_id"],
            response["submitted_at"].isoformat(),
            response["channel"],
            response.get("paper_reference") or "",
            *(_cell(q, answers.get(q.id), row) for _, q, row in layout),
        ]
        writer.writerow([neutralise(str(cell)) for cell in cells])
    return buffer.getvalue()


def _key(text: str) -> str:
    """Headers compared without case, curly quotes, spacing or a leading "a) "."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").strip().lower()
    text = re.sub(r"^(?:q(?:uestion)?\s*)?[a-z0-9]{1,2}[).:]\s+", "", text)
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class ImportedRow:
    """One row of an import: its line number, the raw response and the submission time."""

    line: int
    raw: dict[str, Any]
    submitted: str | None
    reference: str | None


class ImportError_(ValueError):
    """The file's layout does not match the consultation; names the columns at fault."""


def read_import(consultation: Consultation, text: str) -> list[ImportedRow]:
    """Rows of a Citizen Space style export as raw responses, ready to validate."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise ImportError_("the file has no header row")
    by_key: dict[str, tuple[Question, str | None]] = {}
    for header, question, row_id in columns(consultation):
        by_key[_key(header)] = (question, row_id)
        if row_id is None:
            by_key[_key(question.id)] = (question, None)
        else:
            by_key[_key(f"{question.id}.{row_id}")] = (question, row_id)
    fixed = {_key(h) for h in FIXED} | {"id", "start date", "completion date", "submitted at"}
    mapping: dict[str, tuple[Question, str | None]] = {}
    unknown = []
    for header in reader.fieldnames:
        found = by_key.get(_key(header))
        if found is not None:
            mapping[header] = found
        elif _key(header) not in fixed:
            unknown.append(header)
    if not mapping:
        raise ImportError_("no column matches a question of this consultation")
    if unknown:
        raise ImportError_(f"columns that match no question: {', '.join(unknown[:5])}")
    rows = []
    for number, record in enumerate(reader, start=2):
        answers: dict[str, Any] = {}
        for header, (question, row_id) in mapping.items():
            cell = _restore(record.get(header) or "").strip()
            if not cell:
                continue
            if row_id is not None:
                answers.setdefault(question.id, {})[row_id] = cell
            elif question.kind == "multi":
                answers[question.id] = [part.strip() for part in cell.split(";") if part.strip()]
            else:
                answers[question.id] = cell
        lowered = {_key(k): (v or "").strip() for k, v in record.items() if k}
        channel = lowered.get("channel") or "online"
        submitted = lowered.get("submitted") or lowered.get("completion date") or None
        raw = {"channel": channel, "answers": answers}
        rows.append(ImportedRow(number, raw, submitted, lowered.get("paper reference") or None))
    return rows
