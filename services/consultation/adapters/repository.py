"""Loading and saving consultation data inside the caller's unit of work."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.consultation.adapters.orm import (
    AnswerThemeRow,
    CouncilResponseRow,
    DraftRow,
    EqualityRow,
    InterestRow,
    ResponseRow,
    ThemeCorrectionRow,
    ThemeRow,
)
from services.consultation.domain.model import CouncilResponse, Response
from services.consultation.domain.themes.classifier import Example
from services.consultation.domain.themes.learning import Correction
from services.consultation.domain.themes.review import ProposedTheme


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ConsultationRepository:
    """Responses (answers and equality answers apart), interests, drafts, themes and
    officers' theme corrections."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- responses -----------------------------------------------------------------------

    def add(self, response: Response) -> None:
        self.session.add(
            ResponseRow(
                response_id=response.response_id,
                consultation=response.consultation,
                channel=response.channel,
                respondent_type=response.respondent_type,
                answers=_json(response.answers),
                submitted_at=response.submitted_at,
                entered_by=response.entered_by,
                paper_reference=response.paper_reference,
            )
        )
        if response.equality:
            self.session.add(
                EqualityRow(
                    response_id=response.response_id,
                    consultation=response.consultation,
                    answers=_json(response.equality),
                )
            )
        if response.interest is not None:
            interest = response.interest
            self.session.add(
                InterestRow(
                    interest_id=interest.interest_id,
                    consultation=interest.consultation,
                    name=interest.name,
                    email=interest.email,
                    phone=interest.phone,
                    registered_at=interest.registered_at,
                )
            )

    async def responses(self, consultation: str) -> list[ResponseRow]:
        query = (
            select(ResponseRow)
            .where(ResponseRow.consultation == consultation)
            .order_by(col(ResponseRow.submitted_at), col(ResponseRow.response_id))
        )
        return list((await self.session.exec(query)).all())

    async def equality(self, consultation: str) -> dict[str, dict[str, Any]]:
        """Equality answers by response id: for aggregate reports and filters only."""
        query = select(EqualityRow).where(EqualityRow.consultation == consultation)
        return {
            r.response_id: json.loads(r.answers) for r in (await self.session.exec(query)).all()
        }

    async def interests(self, consultation: str) -> list[InterestRow]:
        query = select(InterestRow).where(InterestRow.consultation == consultation)
        return list((await self.session.exec(query)).all())

    # --- drafts (save and return) -----------------------------------------------------------

    async def save_draft(
        self, code: str, consultation: str, channel: str, document: dict[str, Any], at: datetime
    ) -> None:
        row = await self.session.get(DraftRow, code)
        if row is None:
            row = DraftRow(
                code=code, consultation=consultation, channel=channel, document="", updated_at=at
            )
        row.document, row.updated_at, row.channel = _json(document), at, channel
        self.session.add(row)

    async def draft(self, code: str, consultation: str) -> DraftRow | None:
        row = await self.session.get(DraftRow, code)
        return row if row is not None and row.consultation == consultation else None

    async def delete_draft(self, code: str) -> None:
        await self.session.exec(delete(DraftRow).where(col(DraftRow.code) == code))  # type: ignore[call-overload]

    # --- "we asked, you said, we did" ---------------------------------------------------------

    async def council_response(self, consultation: str) -> CouncilResponse | None:
        row = await self.session.get(CouncilResponseRow, consultation)
        if row is None:
            return None
        return CouncilResponse(
            row.consultation, row.we_asked, row.you_said, row.we_did, row.published_at
        )

    async def save_council_response(self, reply: CouncilResponse) -> None:
        row = await self.session.get(CouncilResponseRow, reply.consultation)
        row = row or CouncilResponseRow(
            consultation=reply.consultation,
            we_asked="",
            you_said="",
            we_did="",
            published_at=reply.published_at,
        )
        row.we_asked, row.you_said, row.we_did = reply.we_asked, reply.you_said, reply.we_did
        row.published_at = reply.published_at
        self.session.add(row)

    # --- themes ---------------------------------------------------------------------------------

    async def themes(self, consultation: str) -> dict[str, tuple[ProposedTheme, dict[str, Any]]]:
        query = select(ThemeRow).where(ThemeRow.consultation == consultation)
        return {
            row.key: (
                ProposedTheme(
                    row.key, row.kind, row.label, row.status, row.merged_into, row.decided_by
                ),
                json.loads(row.detail),
            )
            for row in (await self.session.exec(query)).all()
        }

    async def save_theme(
        self, consultation: str, theme: ProposedTheme, detail: dict[str, Any]
    ) -> None:
        row = await self.session.get(ThemeRow, (consultation, theme.key))
        if row is None:
            row = ThemeRow(
                consultation=consultation,
                key=theme.key,
                kind=theme.kind,
                label="",
                status="",
                detail="",
            )
        row.label, row.status, row.merged_into = theme.label, theme.status, theme.merged_into
        row.decided_by, row.detail, row.kind = theme.decided_by, _json(detail), theme.kind
        self.session.add(row)

    async def replace_assignments(
        self, consultation: str, rows: Iterable[tuple[str, str, str, float, dict[str, Any]]]
    ) -> None:
        """A theme run's answer-to-theme assignments, each ``(response_id, question_id,
        theme_key, score, reasons)``, in place of the last run's."""
        await self.session.exec(  # type: ignore[call-overload]
            delete(AnswerThemeRow).where(col(AnswerThemeRow.consultation) == consultation)
        )
        self.session.add_all(
            AnswerThemeRow(
                consultation=consultation,
                response_id=response_id,
                question_id=question_id,
                theme_key=theme_key,
                score=score,
                reasons=_json(reasons),
            )
            for response_id, question_id, theme_key, score, reasons in rows
        )

    async def assignments(self, consultation: str) -> list[AnswerThemeRow]:
        query = select(AnswerThemeRow).where(AnswerThemeRow.consultation == consultation)
        return list((await self.session.exec(query)).all())

    # --- officers' theme corrections ---------------------------------------------------------

    async def save_correction(self, correction: Correction) -> None:
        """Keep an officer's themes for an answer, replacing any earlier correction of it.

        One upsert, so two officers saving the same answer at once both succeed (the later
        wins) rather than one failing on the key; the replaced row is learned afresh.
        """
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        table = ThemeCorrectionRow.__table__  # type: ignore[attr-defined]
        upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
        statement = upsert.on_conflict_do_update(
            index_elements=[table.c.consultation, table.c.response_id, table.c.question_id],
            set_={
                name: upsert.excluded[name]
                for name in ("text", "themes", "corrected_by", "corrected_at", "learned_at")
            },
        )
        await self.session.execute(
            statement,
            {
                "consultation": correction.consultation,
                "response_id": correction.response_id,
                "question_id": correction.question_id,
                "text": correction.example.text,
                "themes": _json(sorted(correction.example.themes)),
                "corrected_by": correction.corrected_by,
                "corrected_at": _utc(correction.corrected_at),
                "learned_at": None,
            },
        )

    async def corrections(self, consultation: str | None = None) -> list[Correction]:
        """The corrections of one consultation (or of all), oldest first."""
        query = select(ThemeCorrectionRow)
        if consultation is not None:
            query = query.where(ThemeCorrectionRow.consultation == consultation)
        query = query.order_by(
            col(ThemeCorrectionRow.corrected_at),
            col(ThemeCorrectionRow.consultation),
            col(ThemeCorrectionRow.response_id),
            col(ThemeCorrectionRow.question_id),
        )
        return [_correction(row) for row in (await self.session.exec(query)).all()]

    async def mark_learned(self, corrections: Iterable[Correction], at: datetime) -> int:
        """Mark these corrections learned, unless one was replaced since it was read (a newer
        correction of the same answer must be learned at the next retraining)."""
        marked = 0
        for done in corrections:
            statement = (
                update(ThemeCorrectionRow)
                .where(
                    col(ThemeCorrectionRow.consultation) == done.consultation,
                    col(ThemeCorrectionRow.response_id) == done.response_id,
                    col(ThemeCorrectionRow.question_id) == done.question_id,
                    col(ThemeCorrectionRow.corrected_at) == _utc(done.corrected_at),
                    col(ThemeCorrectionRow.themes) == _json(sorted(done.example.themes)),
                )
                .values(learned_at=_utc(at))
            )
            result = await self.session.execute(statement)
            marked += result.rowcount or 0  # type: ignore[attr-defined]
        return marked


def _correction(row: ThemeCorrectionRow) -> Correction:
    return Correction(
        consultation=row.consultation,
        response_id=row.response_id,
        question_id=row.question_id,
        example=Example(row.text, frozenset(json.loads(row.themes))),
        corrected_by=row.corrected_by,
        corrected_at=_utc(row.corrected_at),
        learned_at=None if row.learned_at is None else _utc(row.learned_at),
    )


def _utc(moment: datetime) -> datetime:
    """Times of corrections are kept in UTC: SQLite keeps no offset, so a naive time read
    back is UTC, and one instant always compares equal to itself on either database."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
