"""Publishing a carer's changes: its events and its new status snapshot, via the outbox;
and keeping the claims the change held back (``claims`` table), in the same transaction."""

from __future__ import annotations

from datetime import datetime

from services.registry.adapters.claims import ClaimRepository
from services.registry.domain.model import Carer
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared import topics

REGISTRY_SOURCE = "urn:carers:registry"


def publish_changes(carer: Carer, uow: RegistryUnitOfWork, at: datetime) -> None:
    """Queue the record's pending events and its new status snapshot in the outbox."""
    for event in carer.pending_events:
        uow.emit(topics.REGISTRY, carer.carer_id, event.type, REGISTRY_SOURCE, event.data)
    carer.pending_events.clear()
    uow.note_gp_change(carer, at)  # the practice's coding list follows (gp_coding.reconcile)
    save_claims(carer, uow, at)
    publish_status(carer, uow, at)


def save_claims(carer: Carer, uow: RegistryUnitOfWork, at: datetime) -> None:
    """Store what the record held back for the carer (or an officer) to confirm."""
    if carer.pending_claims:
        claims = ClaimRepository(uow.session)
        for claim in carer.pending_claims:
            claims.add(carer.carer_id, claim, at)
        carer.pending_claims.clear()


def publish_status(carer: Carer, uow: RegistryUnitOfWork, at: datetime) -> None:
    uow.emit(topics.STATUS, carer.carer_id, "carer.status", REGISTRY_SOURCE, carer.status(at))
