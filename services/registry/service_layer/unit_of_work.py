"""The registry's unit of work: the shared transaction plus the carer repository."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from services.registry.adapters.repository import CarerRepository
from services.registry.domain.model import Carer
from services.registry.domain.provenance import Attestor
from services.registry.service_layer.gp_coding import reconcile
from services.registry.service_layer.trust import attest
from shared import topics
from shared.events import CloudEvent
from shared.messaging.uow import UnitOfWork


class RegistryUnitOfWork(UnitOfWork):
    carers: CarerRepository
    attestor: Attestor | None = None
    """Set by the bootstrap: what the registry writes to the inbound topic is attested."""

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.carers = CarerRepository(self.session)
        self.gp_changed: dict[str, tuple[Carer, datetime]] = {}
        return self

    def note_gp_change(self, carer: Carer, at: datetime) -> None:
        """A changed carer who names a GP practice: their coding item is decided at flush
        (``service_layer.gp_coding``), once per carer per transaction, set-at-a-time."""
        if carer.gp_practice_ods:
            self.gp_changed[carer.carer_id] = (carer, at)

    async def flush(self) -> None:
        if self.gp_changed:
            changed, self.gp_changed = self.gp_changed, {}
            await reconcile(self, changed)
        await self.carers.flush()
        await super().flush()

    def publish(self, topic: str, key: str | None, event: CloudEvent | None) -> None:
        """Queue an event; one for ``carers.inbound.v1`` (the self-service pages speaking for
        the carer) carries the registry's attestation, so its consumer believes it."""
        if topic == topics.INBOUND and event is not None and self.attestor is not None:
            event = attest(event, self.attestor)
        super().publish(topic, key, event)
