"""The consultation unit of work in memory: a fake repository honouring
ConsultationRepository, holding responses as the domain's objects."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from services.consultation.adapters.catalogue import LearnedExamplesFile
from services.consultation.adapters.repository import ConsultationRepository
from services.consultation.domain.model import CouncilResponse, Response
from services.consultation.domain.themes.classifier import Example
from services.consultation.domain.themes.learning import Correction, correction
from services.consultation.domain.themes.review import ProposedTheme
from services.consultation.service_layer.unit_of_work import ConsultationUnitOfWork
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork


class FakeConsultationRepository:
    """``ConsultationRepository`` over plain tables; rows read back look like the real ones
    (answers as JSON text), since the service layer reads them so."""

    def __init__(self, tables: dict[str, Any]) -> None:
        self.stored: list[Response] = tables.setdefault("responses", [])
        self.drafts: dict[str, SimpleNamespace] = tables.setdefault("drafts", {})
        self.replies: dict[str, CouncilResponse] = tables.setdefault("replies", {})
        self.proposals: dict[str, dict[str, Any]] = tables.setdefault("themes", {})
        self.assigned: dict[str, list[Any]] = tables.setdefault("assignments", {})
        self.corrected: dict[tuple[str, str, str], Correction] = tables.setdefault(
            "corrections", {}
        )

    def add(self, response: Response) -> None:
        kept = copy.deepcopy(response)
        kept.pending_events = []
        self.stored.append(kept)

    def _mine(self, consultation: str) -> list[Response]:
        found = [r for r in self.stored if r.consultation == consultation]
        return sorted(found, key=lambda r: (r.submitted_at, r.response_id))

    async def responses(self, consultation: str) -> list[Any]:
        return [
            SimpleNamespace(
                response_id=r.response_id,
                consultation=r.consultation,
                channel=r.channel,
                respondent_type=r.respondent_type,
                answers=json.dumps(r.answers),
                submitted_at=r.submitted_at,
                entered_by=r.entered_by,
                paper_reference=r.paper_reference,
            )
            for r in self._mine(consultation)
        ]

    async def equality(self, consultation: str) -> dict[str, dict[str, Any]]:
        return {r.response_id: r.equality for r in self._mine(consultation) if r.equality}

    async def interests(self, consultation: str) -> list[Any]:
        return [r.interest for r in self._mine(consultation) if r.interest is not None]

    async def save_draft(
        self, code: str, consultation: str, channel: str, document: dict[str, Any], at: datetime
    ) -> None:
        self.drafts[code] = SimpleNamespace(
            code=code,
            consultation=consultation,
            channel=channel,
            document=json.dumps(document),
            updated_at=at,
        )

    async def draft(self, code: str, consultation: str) -> Any:
        row = self.drafts.get(code)
        return row if row is not None and row.consultation == consultation else None

    async def delete_draft(self, code: str) -> None:
        self.drafts.pop(code, None)

    async def council_response(self, consultation: str) -> CouncilResponse | None:
        return self.replies.get(consultation)

    async def save_council_response(self, reply: CouncilResponse) -> None:
        self.replies[reply.consultation] = reply

    async def themes(self, consultation: str) -> dict[str, tuple[ProposedTheme, dict[str, Any]]]:
        return copy.deepcopy(self.proposals.get(consultation, {}))

    async def save_theme(
        self, consultation: str, theme: ProposedTheme, detail: dict[str, Any]
    ) -> None:
        self.proposals.setdefault(consultation, {})[theme.key] = (theme, detail)

    async def replace_assignments(self, consultation: str, rows: Iterable[Any]) -> None:
        self.assigned[consultation] = list(rows)

    async def assignments(self, consultation: str) -> list[Any]:
        return list(self.assigned.get(consultation, []))

    async def save_correction(self, correction: Correction) -> None:
        self.corrected[correction.key] = replace(correction, learned_at=None)

    async def corrections(self, consultation: str | None = None) -> list[Correction]:
        found = [c for c in self.corrected.values() if consultation in (None, c.consultation)]
        return sorted(found, key=lambda c: (c.corrected_at, c.key))

    async def mark_learned(self, corrections: Iterable[Correction], at: datetime) -> int:
        marked = 0
        for done in corrections:
            now = self.corrected.get(done.key)
            if now is not None and (now.corrected_at, now.example.themes) == (
                done.corrected_at,
                done.example.themes,
            ):
                self.corrected[done.key] = replace(now, learned_at=at)
                marked += 1
        return marked


class FakeLearnedExamples:
    """``LearnedExamplesFile`` in memory: the learned examples and an old corrections file
    (a list of records, or a bad one) that a test sets."""

    def __init__(self, tables: dict[str, Any]) -> None:
        self.tables = tables
        self.tables.setdefault("learned", [])
        self.tables.setdefault("corrections_file", [])

    def read(self) -> list[Example]:
        return list(self.tables["learned"])

    def file_corrections(self) -> list[Example]:
        return [correction(record) for record in self.tables["corrections_file"]]

    def write(self, examples: list[Example]) -> None:
        self.tables["learned"] = list(examples)


class FakeConsultationUnitOfWork(FakeUnitOfWork, ConsultationUnitOfWork):
    def __init__(self, database: FakeDatabase | None = None) -> None:
        super().__init__(database, service="consultation")

    def open_repositories(self) -> None:
        self.consultations = cast(ConsultationRepository, FakeConsultationRepository(self.tables))
        # Kept with the tables, so it lasts once retraining commits (the file is written
        # just before that commit).
        self.learned = cast(LearnedExamplesFile, FakeLearnedExamples(self.tables))
