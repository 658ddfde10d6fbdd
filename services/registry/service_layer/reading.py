"""Reading one carer's record for a partner (contract 5 and 6.4): found, decided, audited.

Why here and not in the route: the audit row is written whatever the outcome (allowed,
not_found, refused with the reason), in the same transaction as the read, and the route
should only turn the answer into HTTP.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.registry.domain.model import Carer
from services.registry.domain.read_access import decide_read
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import Principal


async def read_carer(
    uow: RegistryUnitOfWork,
    principal: Principal,
    action: str,
    carer_id: str | None = None,
    nhs_number: str | None = None,
) -> Carer | None:
    """The carer when ``principal`` may read them; None for "no such carer" and "not yours"
    alike (the audit log keeps which)."""
    async with uow:
        uow.carers.lock_rows = False
        carer = (
            await uow.carers.get(carer_id)
            if carer_id
            else await uow.carers.by_nhs_number(nhs_number or "")
        )
        decision = decide_read(principal.role, principal.org, carer)
        uow.carers.record_access(
            subject=principal.subject,
            role=principal.role,
            org=principal.org,
            action=action,
            carer_id=carer.carer_id if carer else None,
            outcome=decision.outcome,
        )
        await uow.commit()
    return carer if carer is not None and decision.allowed else None


def carer_view(carer: Carer, now: datetime) -> dict[str, Any]:
    """The record as partners see it: the stored document plus today's category and status."""
    document = carer.to_document()
    document.pop("published_category", None)
    return {**document, "category": carer.category(now), "status": carer.status(now)}
