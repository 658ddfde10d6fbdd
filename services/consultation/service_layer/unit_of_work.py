"""The consultation unit of work: the shared transaction plus the consultation repository."""

from __future__ import annotations

from typing import Self

from services.consultation.adapters.repository import ConsultationRepository
from shared.messaging.uow import UnitOfWork


class ConsultationUnitOfWork(UnitOfWork):
    consultations: ConsultationRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.consultations = ConsultationRepository(self.session)
        return self
