"""A response to a consultation, and what happens when one is submitted.

The response is anonymous: its answers never sit beside a name. Someone who asks to be
involved in future work becomes a separate :class:`Interest` that does not point back at
their answers, so neither the store nor the events can tie a named person to what they said
(contract 4b). Equality answers travel with the response but are stored apart and reported
only in aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.consultation.domain.definition import Consultation
from services.consultation.domain.validation import Involvement, ValidResponse


class ConsultationClosed(Exception):
    """Responses are no longer taken (HTTP 409); says when it closed."""

    def __init__(self, consultation: Consultation) -> None:
        super().__init__(f"This consultation closed on {consultation.closed_on()}.")
        self.closed_on = consultation.closed_on()


class ConsultationNotOpen(Exception):
    """Responses are not taken yet (HTTP 409); says when it opens."""

    def __init__(self, consultation: Consultation) -> None:
        super().__init__(f"This consultation opens on {consultation.opens_on()}.")


@dataclass
class Interest:
    """A request to be involved in future work, with the consent to be contacted."""

    interest_id: str
    consultation: str
    name: str
    email: str | None
    phone: str | None
    registered_at: datetime


@dataclass
class Response:
    """One submitted response: answers, separately held equality answers, how it came in."""

    response_id: str
    consultation: str
    channel: str
    answers: dict[str, Any]
    equality: dict[str, Any]
    submitted_at: datetime
    respondent_type: str | None = None
    entered_by: str | None = None
    paper_reference: str | None = None
    interest: Interest | None = None
    pending_events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list, repr=False)

    @classmethod
    def submit(
        cls,
        consultation: Consultation,
        valid: ValidResponse,
        *,
        response_id: str,
        at: datetime,
        interest_id: str | None = None,
        entered_by: str | None = None,
    ) -> Response:
        """Accept a validated response while the consultation is open; record its events."""
        if consultation.has_closed(at):
            raise ConsultationClosed(consultation)
        if not consultation.is_open(at):
            raise ConsultationNotOpen(consultation)
        type_question = consultation.respondent_type_question
        response = cls(
            response_id=response_id,
            consultation=consultation.slug,
            channel=valid.channel,
            answers=dict(valid.answers),
            equality=dict(valid.equality),
            submitted_at=at,
            respondent_type=valid.answers.get(type_question.id) if type_question else None,
            entered_by=entered_by,
            paper_reference=valid.paper_reference,
        )
        response.pending_events.append(
            (
                "consultation.response_submitted",
                response_id,
                {
                    "consultation": consultation.slug,
                    "response_id": response_id,
                    "channel": valid.channel,
                    "submitted_at": at.isoformat(),
                },
            )
        )
        if valid.involvement is not None:
            response.interest = _interest(consultation, valid.involvement, interest_id, at)
            response.pending_events.append(
                (
                    "consultation.interest_registered",
                    response.interest.interest_id,
                    {
                        "consultation": consultation.slug,
                        "interest_id": response.interest.interest_id,
                        "registered_at": at.isoformat(),
                    },
                )
            )
        return response


def _interest(
    consultation: Consultation, involvement: Involvement, interest_id: str | None, at: datetime
) -> Interest:
    if interest_id is None:
        raise ValueError("interest_id: needed when the respondent asks to be involved")
    return Interest(
        interest_id, consultation.slug, involvement.name, involvement.email, involvement.phone, at
    )


@dataclass(frozen=True)
class CouncilResponse:
    """ "We asked, you said, we did": the council's published reply to a closed consultation."""

    consultation: str
    we_asked: str
    you_said: str
    we_did: str
    published_at: datetime
