"""The registry's unit of work: the shared transaction plus the carer repository."""

from __future__ import annotations

from typing import Self

from services.registry.adapters.repository import CarerRepository
from shared.messaging.uow import UnitOfWork


class RegistryUnitOfWork(UnitOfWork):
    carers: CarerRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.carers = CarerRepository(self.session)
        return self

    async def flush(self) -> None:
        await self.carers.flush()
        await super().flush()
