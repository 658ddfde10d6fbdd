"""Between the HTML form's fields and a response's structure, both ways.

Controls are named ``q-<question>`` (``q-<question>-<statement>`` for a matrix row),
``eq-<question>`` for equality monitoring and ``contact-*`` for involvement, so one
validation result can point the error summary at the right control.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData

from services.consultation.domain.definition import Consultation
from services.consultation.domain.validation import Problem
from shared.web.forms import FieldError


def raw_from_form(consultation: Consultation, form: FormData) -> dict[str, Any]:
    """The response a submitted form describes (not yet validated)."""
    answers: dict[str, Any] = {}
    for question in consultation.questions:
        name = f"q-{question.id}"
        if question.kind == "matrix":
            rows = {r.id: form.get(f"{name}-{r.id}") for r in question.rows}
            if any(rows.values()):
                answers[question.id] = {k: v for k, v in rows.items() if v}
        elif question.kind == "multi":
            if form.getlist(name):
                answers[question.id] = form.getlist(name)
        elif form.get(name):
            answers[question.id] = form.get(name)
    equality: dict[str, Any] = {}
    for question in consultation.equality:
        name = f"eq-{question.id}"
        values = form.getlist(name)
        if values:
            equality[question.id] = values if question.kind == "multi" else values[0]
    raw: dict[str, Any] = {
        "channel": form.get("channel") or "online",
        "answers": answers,
        "equality": equality,
    }
    involvement = {
        "wants_to_be_involved": form.get("involve") == "yes",
        "name": form.get("contact-name") or "",
        "email": form.get("contact-email") or "",
        "phone": form.get("contact-phone") or "",
        "consent": form.get("consent") == "yes",
    }
    if involvement["wants_to_be_involved"] or any(
        involvement[k] for k in ("name", "email", "phone")
    ):
        raw["involvement"] = involvement
    if form.get("paper_reference"):
        raw["paper_reference"] = form.get("paper_reference")
    return raw


def values_from_raw(consultation: Consultation, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Control name to value, to fill the form in again (after an error, or from a draft)."""
    values: dict[str, Any] = {}
    for qid, value in (raw.get("answers") or {}).items():
        if isinstance(value, Mapping):
            values.update({f"q-{qid}-{row}": rating for row, rating in value.items()})
        else:
            values[f"q-{qid}"] = value
    for qid, value in (raw.get("equality") or {}).items():
        values[f"eq-{qid}"] = value
    involvement = raw.get("involvement") or {}
    values["involve"] = "yes" if involvement.get("wants_to_be_involved") else ""
    values["consent"] = "yes" if involvement.get("consent") else ""
    for key in ("name", "email", "phone"):
        values[f"contact-{key}"] = involvement.get(key, "")
    values["paper_reference"] = raw.get("paper_reference") or ""
    return values


def control_id(consultation: Consultation, field: str) -> str:
    """The id of the control a problem's field belongs to (for the error summary link)."""
    parts = field.split(".")
    if parts[0] == "answers" and len(parts) >= 2:
        question = consultation.question(parts[1])
        if question is not None and question.kind == "matrix":
            row = parts[2] if len(parts) > 2 else question.rows[0].id
            return f"q-{question.id}-{row}"
        return f"q-{parts[1]}"
    if parts[0] == "answers":
        return f"q-{consultation.questions[0].id}"
    if parts[0] == "equality" and len(parts) >= 2:
        return f"eq-{parts[1]}"
    if parts[0] == "involvement" and len(parts) >= 2:
        return {"wants_to_be_involved": "involve", "consent": "consent"}.get(
            parts[1], f"contact-{parts[1]}"
        )
    return parts[0].replace("_", "-")


def field_errors(consultation: Consultation, problems: list[Problem]) -> list[FieldError]:
    return [
        FieldError(p.field, _sentence(p.message), control_id(consultation, p.field))
        for p in problems
    ]


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
