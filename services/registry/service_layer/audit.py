"""Writing one line of the registry's audit log (``audit_log``): who did what to which carer.

One function so the staff pages and the JSON API record an action the same way (a review
decision from ``/staff/reviews`` or ``POST /reviews/{id}/resolve``): subject, role,
organisation, action, carer and outcome; never the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.auth import Principal

if TYPE_CHECKING:  # the unit of work imports the GP coding steps, which audit
    from services.registry.service_layer.unit_of_work import RegistryUnitOfWork


def audit(
    uow: RegistryUnitOfWork,
    who: Principal,
    action: str,
    carer_id: str | None,
    outcome: str = "allowed",
) -> None:
    uow.carers.record_access(
        subject=who.subject,
        role=who.role,
        org=who.org,
        action=action,
        carer_id=carer_id,
        outcome=outcome,
    )


def review_action(decision: str) -> str:
    """The audit action of a review decision: ``review:merge`` or ``review:keep_apart``."""
    return "review:merge" if decision == "merge" else "review:keep_apart"
