"""The monitoring unit of work: the shared transaction plus the read model."""

from __future__ import annotations

from typing import Self

from services.monitoring.adapters.repository import ReadModelRepository
from shared.messaging.uow import UnitOfWork


class MonitoringUnitOfWork(UnitOfWork):
    """One transaction over the read model, the inbox and the outbox (dead letters only)."""

    read_model: ReadModelRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.read_model = ReadModelRepository(self.session)
        return self
