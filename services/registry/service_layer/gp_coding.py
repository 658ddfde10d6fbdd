"""The GP coding loop (issue 17, item 3): keep each practice's list and suggestions current.

Every change to a carer's record goes through ``publishing.publish_changes``, which notes a
carer who names a practice on the unit of work; when the unit of work flushes,
:func:`reconcile` decides for all of them at once (one query for their stored items, the
rule in ``domain.gp_coding``), stores what changed and queues each new suggestion on the
practice's own topic, in the same transaction as the change that caused it. So a
suggestion is published exactly once per (carer, practice): the stored item is its proof,
and a replayed event finds it.

The practice's list (``GET /gp/carers-to-code``) is read here too, scoped and audited like
every read of a carer's record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.registry.adapters.gp_coding import GpCodingRepository
from services.registry.domain.gp_coding import (
    SUGGESTED_SNOMED_CODE,
    SUGGESTED_SNOMED_DISPLAY,
    Status,
    plan,
    suggestion,
)
from services.registry.domain.model import Carer
from services.registry.domain.read_access import decide_read
from services.registry.service_layer.audit import audit
from shared import topics
from shared.auth import Principal
from shared.events import CloudEvent

if TYPE_CHECKING:
    from services.registry.service_layer.unit_of_work import RegistryUnitOfWork

SOURCE = "urn:carers:registry"
LIST_ACTION = "gp_list"
MAX_PAGE_SIZE = 100


async def reconcile(uow: RegistryUnitOfWork, changed: dict[str, tuple[Carer, datetime]]) -> None:
    """Decide each changed carer's items and store and publish what follows."""
    repository = GpCodingRepository(uow.session)
    stored = await repository.items_of(changed)
    new: list[tuple[str, str, datetime]] = []
    for carer_id, (carer, at) in sorted(changed.items()):
        decided = plan(carer, stored.get(carer_id, {}))
        for practice, status in decided.close.items():
            await repository.set_status(carer_id, practice, status, at)
        if decided.reopen:
            await repository.set_status(carer_id, decided.reopen, Status.OPEN, at)
        if decided.suggest:
            new.append((carer_id, decided.suggest, at))
            topic = topics.GP_OUTBOUND.get(decided.suggest)
            if topic is not None:  # otherwise the practice reads its list over HTTP
                body = suggestion(carer, decided.suggest, at)
                uow.publish(
                    topic, carer_id, CloudEvent.new("gp.coding_suggested", SOURCE, carer_id, body)
                )
        # The same carer changed again later in this transaction starts from here.
        mine = stored.setdefault(carer_id, {})
        mine.update(decided.close)
        if decided.reopen:
            mine[decided.reopen] = Status.OPEN
        if decided.suggest:
            mine[decided.suggest] = Status.OPEN
    await repository.add(new)


async def forget(uow: RegistryUnitOfWork, carer_id: str) -> None:
    """On erasure: the carer's items go too."""
    await GpCodingRepository(uow.session).forget(carer_id)


@dataclass(frozen=True)
class CodingPage:
    """One page of a practice's list."""

    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


def list_item(carer: Carer, suggested_at: datetime) -> dict[str, Any]:
    """What the practice sees for one carer: as in the event, to find and code the patient."""
    return {
        "carer_id": carer.carer_id,
        "nhs_number": carer.nhs_number,
        "given_name": carer.given_name,
        "family_name": carer.family_name,
        "date_of_birth": carer.date_of_birth.isoformat() if carer.date_of_birth else None,
        "snomed_code": SUGGESTED_SNOMED_CODE,
        "snomed_display": SUGGESTED_SNOMED_DISPLAY,
        "suggested_at": suggested_at.isoformat(),
    }


async def carers_to_code(
    uow: RegistryUnitOfWork, principal: Principal, page: int, page_size: int
) -> CodingPage:
    """The caller's own practice's open items, a page at a time; each carer shown is
    checked with the read rule (practice and consent) and written to the audit log."""
    page, page_size = max(page, 1), min(max(page_size, 1), MAX_PAGE_SIZE)
    found, total = await GpCodingRepository(uow.session).open_for(
        principal.org, page_size, (page - 1) * page_size
    )
    items = []
    for carer, suggested_at in found:
        decision = decide_read(principal.role, principal.org, carer)
        audit(uow, principal, LIST_ACTION, carer.carer_id, decision.outcome)
        if decision.allowed:
            items.append(list_item(carer, suggested_at))
    await uow.commit()
    return CodingPage(items, total, page, page_size)
