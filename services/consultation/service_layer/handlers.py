"""Consultation use cases: submit a response, save and return, report, import, council reply.

Each takes the unit of work and plain values, and commits what it changes together with the
events it publishes (the outbox), so a response is never stored without its event.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.consultation.domain import results as R
from services.consultation.domain.definition import Consultation
from services.consultation.domain.model import CouncilResponse, Response
from services.consultation.domain.tabular import export_csv, read_import
from services.consultation.domain.themes.review import ProposedTheme, report
from services.consultation.domain.validation import InvalidResponse, validate_response
from services.consultation.service_layer.unit_of_work import ConsultationUnitOfWork
from shared import topics
from shared.events import CloudEvent
from shared.events.outbound import ConsultationInterestRegistered, ConsultationResponseSubmitted

SOURCE = "urn:carers:consultation"
BODIES: dict[str, type[BaseModel]] = {
    "consultation.response_submitted": ConsultationResponseSubmitted,
    "consultation.interest_registered": ConsultationInterestRegistered,
}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud over the phone


def record_response(
    uow: ConsultationUnitOfWork,
    consultation: Consultation,
    raw: dict[str, Any],
    *,
    at: datetime,
    staff: str | None = None,
) -> Response:
    """Validate a response and add it, with its events, to the open unit of work (the
    caller commits: one response, or a whole import at once). Raises InvalidResponse or
    ConsultationClosed / ConsultationNotOpen. ``staff`` is who keyed it in (paper returns)."""
    valid = validate_response(consultation, raw, staff=staff is not None)
    response = Response.submit(
        consultation,
        valid,
        response_id=str(uuid.uuid4()),
        interest_id=str(uuid.uuid4()) if valid.involvement else None,
        at=at,
        entered_by=staff,
    )
    uow.consultations.add(response)
    for event_type, key, body in response.pending_events:
        data = BODIES[event_type].model_validate(body)  # the contract's models guard the fields
        uow.publish(topics.CONSULTATION, key, CloudEvent.new(event_type, SOURCE, key, data))
    response.pending_events.clear()
    return response


async def submit_response(
    uow: ConsultationUnitOfWork,
    consultation: Consultation,
    raw: dict[str, Any],
    *,
    at: datetime,
    staff: str | None = None,
    draft_code: str | None = None,
) -> Response:
    """Store one response and publish its events; the saved draft it finishes goes."""
    async with uow:
        response = record_response(uow, consultation, raw, at=at, staff=staff)
        if draft_code:
            await uow.consultations.delete_draft(draft_code)
        await uow.commit()
    return response


def new_code() -> str:
    """A save-and-return code like ``K7QF-2M9X``: 40 bits, easy to read and type."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normal_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:8]}" if len(cleaned) == 8 else code.strip().upper()


async def save_draft(
    uow: ConsultationUnitOfWork,
    consultation: Consultation,
    document: dict[str, Any],
    *,
    channel: str,
    at: datetime,
    code: str | None = None,
) -> str:
    """Keep a half-finished response under a code the respondent can come back with."""
    code = normal_code(code) if code else new_code()
    async with uow:
        await uow.consultations.save_draft(code, consultation.slug, channel, document, at)
        await uow.commit()
    return code


async def load_draft(
    uow: ConsultationUnitOfWork, consultation: Consultation, code: str
) -> tuple[str, dict[str, Any]] | None:
    async with uow:
        row = await uow.consultations.draft(normal_code(code), consultation.slug)
    return (row.channel, json.loads(row.document)) if row else None


async def council_response(
    uow: ConsultationUnitOfWork, consultation: Consultation
) -> CouncilResponse | None:
    """The council's "we asked, you said, we did", once published."""
    async with uow:
        return await uow.consultations.council_response(consultation.slug)


async def results(
    uow: ConsultationUnitOfWork, consultation: Consultation, filters: R.Filters
) -> dict[str, Any]:
    """Counts and percentages per closed question, signed-off themes per free-text question,
    and suppressed equality monitoring; raises GroupTooSmall for a small equality group."""
    async with uow:
        rows = await uow.consultations.responses(consultation.slug)
        equality = await uow.consultations.equality(consultation.slug)
        stored = await uow.consultations.themes(consultation.slug)
        assigned = await uow.consultations.assignments(consultation.slug)
    decoded = [
        (json.loads(r.answers), equality.get(r.response_id, {}), r.respondent_type) for r in rows
    ]
    answers, equalities = R.select(consultation, decoded, filters)
    questions = R.tally(consultation, answers)
    if filters.by_equality:
        R.suppress_results(questions)
    ids = {id(a) for a in answers}
    kept = {r.response_id for r, d in zip(rows, decoded, strict=True) if id(d[0]) in ids}
    answered = {q.id: R.answered_count(q, answers) for q in consultation.free_text}
    proposals = {key: theme for key, (theme, _) in stored.items()}
    assignments = [
        (f"{a.response_id}:{a.question_id}", a.question_id, a.theme_key)
        for a in assigned
        if a.response_id in kept
    ]
    themed = report(proposals, assignments, answered)
    pending = sum(1 for t in proposals.values() if t.status == "proposed")
    channels: dict[str, int] = {}
    for r in rows:
        if r.response_id in kept:
            channels[r.channel] = channels.get(r.channel, 0) + 1
    return {
        "consultation": consultation.slug,
        "title": consultation.title,
        "responses": len(answers),
        "channels": channels,
        "filters": {k: v for k, v in vars(filters).items() if v is not None},
        "questions": questions,
        "free_text": [
            {
                "id": q.id,
                "number": q.number,
                "text": q.text,
                "answered": answered[q.id],
                "themes": themed.get(q.id, []),
            }
            for q in consultation.free_text
        ],
        "themes_awaiting_sign_off": pending,
        "equality": R.equality_report(consultation, equalities),
    }


async def export(uow: ConsultationUnitOfWork, consultation: Consultation) -> str:
    """Every response as CSV, one row each."""
    async with uow:
        rows = await uow.consultations.responses(consultation.slug)
    return export_csv(
        consultation,
        (
            {
                "response_id": r.response_id,
                "submitted_at": r.submitted_at,
                "channel": r.channel,
                "paper_reference": r.paper_reference,
                "answers": json.loads(r.answers),
            }
            for r in rows
        ),
    )


async def import_responses(
    uow: ConsultationUnitOfWork, consultation: Consultation, text: str, *, by: str, now: datetime
) -> dict[str, Any]:
    """Import a Citizen Space style CSV: every valid row is stored, in one transaction, or
    none is when any row is invalid (the problems name the line and field)."""
    problems: list[str] = []
    imported = 0
    async with uow:
        for row in read_import(consultation, text):
            at = datetime.fromisoformat(row.submitted) if row.submitted else now
            if at.tzinfo is None:
                at = at.replace(tzinfo=consultation.closes.tzinfo)
            raw = {**row.raw, "paper_reference": row.reference} if row.reference else row.raw
            try:
                record_response(uow, consultation, raw, at=at, staff=by)
                imported += 1
            except InvalidResponse as invalid:
                problems.extend(
                    f"line {row.line}: {p.field}: {p.message}" for p in invalid.problems
                )
        if problems:
            await uow.rollback()
            return {"imported": 0, "problems": problems}
        await uow.commit()
    return {"imported": imported, "problems": []}


async def publish_council_response(
    uow: ConsultationUnitOfWork,
    consultation: Consultation,
    *,
    we_asked: str,
    you_said: str,
    we_did: str,
    at: datetime,
) -> CouncilResponse:
    reply = CouncilResponse(consultation.slug, we_asked, you_said, we_did, at)
    async with uow:
        await uow.consultations.save_council_response(reply)
        await uow.commit()
    return reply


def theme_view(theme: ProposedTheme, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": theme.key,
        "kind": theme.kind,
        "label": theme.label,
        "status": theme.status,
        "merged_into": theme.merged_into,
        "decided_by": theme.decided_by,
        **detail,
    }
