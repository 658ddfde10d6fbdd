"""The JSON shapes of the referrals API (contract 5): what staff read and what they send."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from services.referrals.domain.model import Referral

Service = Literal["vasl", "carers_assessment", "young_carers", "support_at_home"]
Status = Literal["requested", "accepted", "declined", "completed", "withdrawn"]
StatusFilter = Literal["requested", "accepted", "declined", "completed", "withdrawn", "open"]


class ReferralPublic(BaseModel):
    """A referral as its team sees it: the carer's story and details travel with it."""

    referral_id: str
    carer_id: str
    service: Service
    status: Status
    overdue: bool = Field(description="not accepted by its due date and still waiting")
    due_by: date = Field(description="the last working day to accept it on time")
    category: str | None
    story: str | None
    identified_by: list[dict[str, Any]]
    caring_for: list[dict[str, Any]]
    carer: dict[str, Any] = Field(description="name, email, mobile and contact preferences")
    details_removed: str | None = Field(
        default=None,
        description="why the carer's story and details are not here "
        '("withdrawn consent: details removed"), or null',
    )
    reason: str | None
    outcome: dict[str, Any] | None
    history: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, referral: Referral) -> ReferralPublic:
        details = referral.details
        return cls(
            referral_id=referral.referral_id,
            carer_id=referral.carer_id,
            service=referral.service,  # type: ignore[arg-type]
            status=referral.status,  # type: ignore[arg-type]
            overdue=referral.is_overdue,
            due_by=referral.due_by,
            category=details.category,
            story=details.story,
            identified_by=list(details.identified_by),
            caring_for=list(details.caring_for),
            carer=dict(details.contact),
            details_removed=referral.details_removed,
            reason=referral.reason,
            outcome=referral.outcome,
            history=referral.history,
            created_at=referral.created_at,
            updated_at=referral.updated_at,
        )


class Reason(BaseModel):
    """Why a referral is declined or withdrawn; the carer and partners may be told."""

    reason: str = Field(min_length=1, max_length=2000)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give a reason")
        return value.strip()


class Complete(BaseModel):
    """The outcome: ``assessment_completed``, ``passport_issued`` or ``signposted``
    (see docs/referrals.md for the fields of each)."""

    outcome: dict[str, Any] = Field(
        examples=[
            {
                "type": "assessment_completed",
                "eligible_needs": True,
                "direct_payment": {"kind": "weekly", "amount": "120.50"},
            },
            {"type": "passport_issued", "number": "YC-0342", "issued_on": "2026-03-02"},
            {"type": "signposted", "to": "Carers Centre drop-in, Market Harborough"},
        ]
    )
