"""A lifecycle step as both the API and the team's page take it: one call, one reading of
why it was refused.

The API answers a refusal with JSON and the page with the form again, but what went wrong
(no such referral, the wrong state, an outcome or reason at fault) and the status it earns
are decided once, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status

from services.referrals.domain.model import IllegalTransition, MissingReason, Referral
from services.referrals.domain.outcomes import InvalidOutcome
from services.referrals.service_layer.handlers import ReferralNotFound, change_referral
from services.referrals.service_layer.unit_of_work import ReferralsUnitOfWork
from shared.auth import Principal
from shared.clock import Clock


@dataclass(frozen=True)
class Refusal:
    """Why a step was refused: the HTTP status, the field at fault (dotted, "" for the step
    itself) and a message; ``error`` is the domain's own exception."""

    status: int
    field: str
    message: str
    error: Exception


async def take_step(
    uow: ReferralsUnitOfWork,
    clock: Clock,
    principal: Principal,
    referral_id: str,
    step: str,
    arguments: dict[str, Any],
) -> Referral | Refusal:
    """The changed referral, or the :class:`Refusal`; a referral outside the caller's queue
    is a 404 for either caller, so it is raised rather than returned."""
    try:
        return await change_referral(
            uow, referral_id, step, by=principal, now=clock.now(), **arguments
        )
    except ReferralNotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from None
    except IllegalTransition as illegal:
        return Refusal(status.HTTP_409_CONFLICT, "", str(illegal), illegal)
    except InvalidOutcome as invalid:
        return Refusal(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"outcome.{invalid.field}",
            invalid.message,
            invalid,
        )
    except MissingReason as missing_reason:
        return Refusal(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "reason", "give a reason", missing_reason
        )
