"""Checking a submitted response against its consultation, naming every field at fault.

Every question may be skipped (contract 5): a missing or blank answer is simply not
recorded. What is given must fit the question: an option that exists, a matrix row that
exists, free text within length. Contact details are only taken with a tick to be involved
and consent, because the response itself stays anonymous.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email

from services.consultation.domain.definition import Consultation, Question

CHANNELS = ("online", "easy_read", "paper")
MAX_TEXT = 5000
MAX_NAME = 100
_UK_PHONE = re.compile(r"^(?:\+44|0)\d{9,10}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission: the dotted field path and a plain message."""

    field: str
    message: str


class InvalidResponse(ValueError):
    """The submission cannot be accepted; ``problems`` names every field at fault (422)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Involvement:
    """Someone who would like to be involved in future work, with consent to be contacted."""

    name: str
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class ValidResponse:
    channel: str
    answers: dict[str, Any]
    equality: dict[str, Any] = field(default_factory=dict)
    involvement: Involvement | None = None
    paper_reference: str | None = None


def _text(value: Any) -> str:
    return _CONTROL.sub("", str(value)).strip() if value is not None else ""


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def check_answer(question: Question, value: Any, path: str, problems: list[Problem]) -> Any:
    """The cleaned answer, or None when skipped; appends to ``problems`` when it does not fit."""
    if _blank(value) or (isinstance(value, str) and not value.strip()):
        return None
    if question.kind == "text":
        if not isinstance(value, str):
            problems.append(Problem(path, "must be text"))
            return None
        text = _text(value)
        if len(text) > MAX_TEXT:
            problems.append(Problem(path, f"must be {MAX_TEXT:,} characters or fewer"))
            return None
        return text or None
    if question.kind == "single":
        if not isinstance(value, str) or value not in question.options:
            problems.append(Problem(path, _not_an_option(value, question.options)))
            return None
        return value
    if question.kind == "multi":
        chosen = [value] if isinstance(value, str) else value
        if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
            problems.append(Problem(path, "must be a list of options"))
            return None
        wrong = [v for v in chosen if v not in question.options]
        if wrong:
            problems.append(Problem(path, _not_an_option(wrong[0], question.options)))
            return None
        exclusive = [v for v in chosen if v in question.exclusive]
        if exclusive and len(set(chosen)) > 1:
            problems.append(Problem(path, f"{exclusive[0]!r} cannot be chosen with other options"))
            return None
        return [o for o in question.options if o in chosen]  # definition order, no repeats
    # matrix: {row_id: option}
    if not isinstance(value, Mapping):
        problems.append(Problem(path, "must be an object of statement: rating"))
        return None
    cleaned: dict[str, str] = {}
    for row_id, rating in value.items():
        if question.row(str(row_id)) is None:
            problems.append(Problem(f"{path}.{row_id}", "no such statement in this question"))
        elif _blank(rating):
            continue
        elif rating not in question.options:
            problems.append(Problem(f"{path}.{row_id}", _not_an_option(rating, question.options)))
        else:
            cleaned[str(row_id)] = rating
    return {r.id: cleaned[r.id] for r in question.rows if r.id in cleaned} or None


def _not_an_option(value: Any, options: tuple[str, ...]) -> str:
    shown = repr(value) if isinstance(value, str) and len(value) <= 60 else "the answer"
    return f"{shown} is not one of the options: {' | '.join(options)}"


def _answers(
    consultation: Consultation, raw: Any, where: str, equality: bool, problems: list[Problem]
) -> dict[str, Any]:
    if _blank(raw):
        return {}
    if not isinstance(raw, Mapping):
        problems.append(Problem(where, "must be an object of question id: answer"))
        return {}
    cleaned: dict[str, Any] = {}
    for qid, value in raw.items():
        question = (
            consultation.equality_question(str(qid)) if equality else consultation.question(qid)
        )
        if question is None or (not equality and consultation.equality_question(str(qid))):
            problems.append(Problem(f"{where}.{qid}", "no such question in this consultation"))
            continue
        answer = check_answer(question, value, f"{where}.{qid}", problems)
        if answer is not None:
            cleaned[str(qid)] = answer
    return cleaned


def _involvement(raw: Any, problems: list[Problem]) -> Involvement | None:
    if _blank(raw):
        return None
    if not isinstance(raw, Mapping):
        problems.append(Problem("involvement", "must be an object"))
        return None
    wants = raw.get("wants_to_be_involved") in (True, "yes", "true", "on")
    name, email, phone = _text(raw.get("name")), _text(raw.get("email")), _text(raw.get("phone"))
    if not wants:
        if name or email or phone:
            problems.append(
                Problem(
                    "involvement.wants_to_be_involved",
                    "Tick the box if you would like to be involved in future work, "
                    "or remove your contact details",
                )
            )
        return None
    before = len(problems)
    if not name:
        problems.append(Problem("involvement.name", "Enter your name"))
    elif len(name) > MAX_NAME:
        problems.append(Problem("involvement.name", f"must be {MAX_NAME} characters or fewer"))
    if not email and not phone:
        problems.append(Problem("involvement.email", "Enter an email address or a phone number"))
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            problems.append(
                Problem("involvement.email", "Enter an email address like name@example.com")
            )
    if phone:
        digits = re.sub(r"[\s()-]", "", phone)
        if not _UK_PHONE.match(digits):
            problems.append(
                Problem("involvement.phone", "Enter a UK phone number, like 0116 496 0123")
            )
        phone = digits
    if raw.get("consent") not in (True, "yes", "true", "on"):
        problems.append(
            Problem("involvement.consent", "Tick the box to agree to us keeping your details")
        )
    if len(problems) > before:
        return None
    return Involvement(name=name, email=email or None, phone=phone or None)


def validate_response(
    consultation: Consultation, raw: Mapping[str, Any], *, staff: bool = False
) -> ValidResponse:
    """A :class:`ValidResponse`, or :class:`InvalidResponse` listing every problem."""
    problems: list[Problem] = []
    channel = raw.get("channel", "online")
    if channel not in CHANNELS:
        problems.append(Problem("channel", f"{channel!r} is not one of {' | '.join(CHANNELS)}"))
    elif channel == "paper" and not staff:
        problems.append(Problem("channel", "paper returns are keyed in by council staff"))
    answers = _answers(consultation, raw.get("answers"), "answers", False, problems)
    equality = _answers(consultation, raw.get("equality"), "equality", True, problems)
    involvement = _involvement(raw.get("involvement"), problems)
    reference = _text(raw.get("paper_reference")) or None
    if reference and len(reference) > 40:
        problems.append(Problem("paper_reference", "must be 40 characters or fewer"))
    if not problems and not answers and not equality:
        problems.append(Problem("answers", "Answer at least one question"))
    unknown = sorted(
        set(raw) - {"channel", "answers", "equality", "involvement", "paper_reference"}
    )
    problems.extend(Problem(key, "is not a field of a response") for key in unknown)
    if problems:
        raise InvalidResponse(problems)
    return ValidResponse(str(channel), answers, equality, involvement, reference)
