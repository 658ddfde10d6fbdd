"""Consultation tables. Answers, equality answers and contact details are three tables on
purpose: equality answers are only ever read in aggregate, and contact details are never
joined to answers (an interest row has no response id)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

TZ = sa.DateTime(timezone=True)


class ResponseRow(SQLModel, table=True):
    __tablename__ = "consultation_responses"

    response_id: str = Field(primary_key=True, max_length=36)
    consultation: str = Field(index=True, max_length=100)
    channel: str = Field(max_length=20)
    respondent_type: str | None = Field(default=None, max_length=200)
    answers: str = Field(sa_type=sa.Text)
    submitted_at: datetime = Field(sa_type=TZ)
    entered_by: str | None = Field(default=None, max_length=200)
    paper_reference: str | None = Field(default=None, max_length=40)


class EqualityRow(SQLModel, table=True):
    __tablename__ = "consultation_equality"

    response_id: str = Field(primary_key=True, max_length=36)
    consultation: str = Field(index=True, max_length=100)
    answers: str = Field(sa_type=sa.Text)


class InterestRow(SQLModel, table=True):
    __tablename__ = "consultation_interests"

    interest_id: str = Field(primary_key=True, max_length=36)
    consultation: str = Field(index=True, max_length=100)
    name: str = Field(max_length=100)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=20)
    registered_at: datetime = Field(sa_type=TZ)


class DraftRow(SQLModel, table=True):
    __tablename__ = "consultation_drafts"

    code: str = Field(primary_key=True, max_length=12)
    consultation: str = Field(max_length=100)
    channel: str = Field(max_length=20)
    document: str = Field(sa_type=sa.Text)
    updated_at: datetime = Field(sa_type=TZ)


class CouncilResponseRow(SQLModel, table=True):
    __tablename__ = "consultation_council_responses"

    consultation: str = Field(primary_key=True, max_length=100)
    we_asked: str = Field(sa_type=sa.Text)
    you_said: str = Field(sa_type=sa.Text)
    we_did: str = Field(sa_type=sa.Text)
    published_at: datetime = Field(sa_type=TZ)


class ThemeRow(SQLModel, table=True):
    __tablename__ = "consultation_themes"

    consultation: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=80)
    kind: str = Field(max_length=20)
    label: str = Field(max_length=120)
    status: str = Field(max_length=20)
    merged_into: str | None = Field(default=None, max_length=80)
    decided_by: str | None = Field(default=None, max_length=200)
    detail: str = Field(sa_type=sa.Text)  # JSON: words and example quotes


class AnswerThemeRow(SQLModel, table=True):
    __tablename__ = "consultation_answer_themes"

    id: int | None = Field(default=None, primary_key=True)
    consultation: str = Field(index=True, max_length=100)
    response_id: str = Field(max_length=36)
    question_id: str = Field(max_length=40)
    theme_key: str = Field(max_length=80)
    score: float
    reasons: str = Field(sa_type=sa.Text)


class ThemeCorrectionRow(SQLModel, table=True):
    """An officer's themes for one answer; the latest replaces the earlier (one row per
    answer), and ``learned_at`` stays empty until ``themes retrain`` folds it in."""

    __tablename__ = "theme_corrections"

    consultation: str = Field(primary_key=True, max_length=100)
    response_id: str = Field(primary_key=True, max_length=36)
    question_id: str = Field(primary_key=True, max_length=40)
    text: str = Field(sa_type=sa.Text)
    themes: str = Field(sa_type=sa.Text)  # JSON list of theme ids
    corrected_by: str = Field(max_length=200)
    corrected_at: datetime = Field(sa_type=TZ)
    learned_at: datetime | None = Field(default=None, sa_type=TZ)
