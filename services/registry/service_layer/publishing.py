"""Publishing a carer's changes: its events and its new status snapshot, via the outbox."""

from __future__ import annotations

from datetime import datetime

from services.registry.domain.model import Carer
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared import topics
from shared.events import CloudEvent

REGISTRY_SOURCE = "urn:carers:registry"


def publish_changes(carer: Carer, uow: RegistryUnitOfWork, at: datetime) -> None:
    """Queue the record's pending events and its new status snapshot in the outbox."""
    for event in carer.pending_events:
        uow.publish(
            topics.REGISTRY,
            carer.carer_id,
            CloudEvent.new(event.type, REGISTRY_SOURCE, carer.carer_id, event.data),
        )
    carer.pending_events.clear()
    publish_status(carer, uow, at)


def publish_status(carer: Carer, uow: RegistryUnitOfWork, at: datetime) -> None:
    uow.publish(
        topics.STATUS,
        carer.carer_id,
        CloudEvent.new("carer.status", REGISTRY_SOURCE, carer.carer_id, carer.status(at)),
    )
