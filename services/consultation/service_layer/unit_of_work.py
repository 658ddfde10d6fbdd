"""The consultation unit of work: the shared transaction plus the consultation repository,
and the examples the theme classifier has learned from officers (``learned``)."""

from __future__ import annotations

from typing import Self

from services.consultation.adapters.catalogue import LearnedExamplesFile
from services.consultation.adapters.repository import ConsultationRepository
from shared.messaging.uow import UnitOfWork


class ConsultationUnitOfWork(UnitOfWork):
    consultations: ConsultationRepository
    learned: LearnedExamplesFile

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.consultations = ConsultationRepository(self.session)
        self.learned = LearnedExamplesFile.from_environment()
        return self
