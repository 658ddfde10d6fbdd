"""What a consultation asks: its questions, their kinds and options, and when it is open.

Consultations are data (``services/consultation/data/``); :func:`build_consultation` turns a
parsed definition into these frozen objects and refuses a malformed one with the field at
fault, so a typo in a definition fails at start-up rather than on a carer's screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

QuestionKind = Literal["single", "multi", "matrix", "text"]
KINDS: tuple[str, ...] = ("single", "multi", "matrix", "text")
CLOSED_KINDS: tuple[str, ...] = ("single", "multi", "matrix")
PREFER_NOT_TO_SAY = "Prefer not to say"


class DefinitionError(ValueError):
    """A consultation definition that cannot be used; the message names the field."""


@dataclass(frozen=True)
class MatrixRow:
    """One statement of a matrix question, rated on the question's scale."""

    id: str
    text: str
    easy_read: str = ""


@dataclass(frozen=True)
class Question:
    """One question. ``number`` is the paragraph letter shown beside it ("a", "b" ...)."""

    id: str
    kind: QuestionKind
    text: str
    options: tuple[str, ...] = ()
    rows: tuple[MatrixRow, ...] = ()
    number: str = ""
    hint: str = ""
    easy_read: str = ""
    follows: str = ""
    exclusive: tuple[str, ...] = ()
    respondent_type: bool = False

    @property
    def closed(self) -> bool:
        """Counted by option (single, multi, matrix); free text is themed instead."""
        return self.kind in CLOSED_KINDS

    def row(self, row_id: str) -> MatrixRow | None:
        return next((r for r in self.rows if r.id == row_id), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    easy_read_title: str = ""


@dataclass(frozen=True)
class Consultation:
    """A consultation: wording, audiences and the window in which it takes responses."""

    slug: str
    title: str
    organisation: str
    summary: str
    opens: datetime
    closes: datetime
    sections: tuple[Section, ...]
    equality: tuple[Question, ...] = ()
    easy_read_summary: str = ""
    audiences: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    questions_reconstructed: bool = False
    _index: dict[str, Question] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for question in (*self.questions, *self.equality):
            self._index[question.id] = question

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for section in self.sections for q in section.questions)

    def question(self, question_id: str) -> Question | None:
        return self._index.get(question_id)

    def equality_question(self, question_id: str) -> Question | None:
        return next((q for q in self.equality if q.id == question_id), None)

    @property
    def free_text(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind == "text")

    @property
    def respondent_type_question(self) -> Question | None:
        return next((q for q in self.questions if q.respondent_type), None)

    def is_open(self, at: datetime) -> bool:
        return self.opens <= at <= self.closes

    def has_closed(self, at: datetime) -> bool:
        return at > self.closes

    def closed_on(self) -> str:
        """The close date as people write it: "31 July 2022"."""
        return f"{self.closes.day} {self.closes:%B %Y}"

    def opens_on(self) -> str:
        return f"{self.opens.day} {self.opens:%B %Y}"

    def with_dates(self, opens: datetime, closes: datetime) -> Consultation:
        """The same consultation on another schedule (a deployment's real dates)."""
        return Consultation(
            self.slug, self.title, self.organisation, self.summary, opens, closes,
            self.sections, self.equality, self.easy_read_summary, self.audiences,
            self.areas, self.interests, self.questions_reconstructed,
        )  # fmt: skip


def _need(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise DefinitionError(f"{where}.{key}: required")
    return data[key]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DefinitionError(f"{where}: expected a list of non-empty strings")
    if len(set(value)) != len(value):
        raise DefinitionError(f"{where}: options must be distinct")
    return tuple(value)


def build_question(data: Mapping[str, Any], where: str) -> Question:
    kind = _need(data, "kind", where)
    if kind not in KINDS:
        raise DefinitionError(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
    qid = str(_need(data, "id", where))
    options = _strings(data["options"], f"{where}.options") if "options" in data else ()
    if kind in CLOSED_KINDS and not options:
        raise DefinitionError(f"{where}.options: a {kind} question needs options")
    rows: tuple[MatrixRow, ...] = ()
    if kind == "matrix":
        raw_rows = _need(data, "rows", where)
        rows = tuple(
            MatrixRow(
                str(_need(r, "id", f"{where}.rows[{i}]")), str(r["text"]), r.get("easy_read", "")
            )
            for i, r in enumerate(raw_rows)
        )  # fmt: skip
        if len({r.id for r in rows}) != len(rows):
            raise DefinitionError(f"{where}.rows: row ids must be distinct")
    exclusive = _strings(data["exclusive"], f"{where}.exclusive") if "exclusive" in data else ()
    return Question(
        id=qid,
        kind=kind,
        text=str(_need(data, "text", where)),
        options=options,
        rows=rows,
        number=str(data.get("number", "")),
        hint=str(data.get("hint", "")),
        easy_read=str(data.get("easy_read", "")),
        follows=str(data.get("follows", "")),
        exclusive=exclusive,
        respondent_type=bool(data.get("respondent_type", False)),
    )


def _moment(value: Any, zone: ZoneInfo, where: str) -> datetime:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise DefinitionError(f"{where}: {value!r} is not an ISO date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def build_consultation(
    data: Mapping[str, Any], equality_sets: Mapping[str, list[Mapping[str, Any]]]
) -> Consultation:
    """A :class:`Consultation` from a parsed definition and the named equality question sets."""
    slug = str(_need(data, "slug", "consultation"))
    where = slug
    zone = ZoneInfo(str(data.get("timezone", "Europe/London")))
    sections = tuple(
        Section(
            id=str(_need(s, "id", f"{where}.sections[{i}]")),
            title=str(_need(s, "title", f"{where}.sections[{i}]")),
            easy_read_title=str(s.get("easy_read_title", "")),
            questions=tuple(
                build_question(q, f"{where}.sections[{i}].questions[{j}]")
                for j, q in enumerate(_need(s, "questions", f"{where}.sections[{i}]"))
            ),
        )
        for i, s in enumerate(_need(data, "sections", where))
    )
    equality_name = data.get("equality")
    equality: tuple[Question, ...] = ()
    if equality_name:
        if equality_name not in equality_sets:
            raise DefinitionError(f"{where}.equality: no equality set named {equality_name!r}")
        equality = tuple(
            build_question(q, f"equality.{equality_name}[{i}]")
            for i, q in enumerate(equality_sets[equality_name])
        )
        for question in equality:
            if PREFER_NOT_TO_SAY not in question.options:
                raise DefinitionError(f"equality.{question.id}: needs {PREFER_NOT_TO_SAY!r}")
    ids = [q.id for s in sections for q in s.questions] + [q.id for q in equality]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DefinitionError(f"{where}: question ids repeated: {', '.join(duplicates)}")
    opens = _moment(_need(data, "opens", where), zone, f"{where}.opens")
    closes = _moment(_need(data, "closes", where), zone, f"{where}.closes")
    if closes <= opens:
        raise DefinitionError(f"{where}.closes: must be after opens")
    return Consultation(
        slug=slug,
        title=str(_need(data, "title", where)),
        organisation=str(data.get("organisation", "")),
        summary=str(data.get("summary", "")),
        opens=opens,
        closes=closes,
        sections=sections,
        equality=equality,
        easy_read_summary=str(data.get("easy_read_summary", "")),
        audiences=tuple(data.get("audiences", ())),
        areas=tuple(data.get("areas", ())),
        interests=tuple(data.get("interests", ())),
        questions_reconstructed=bool(data.get("questions_reconstructed", False)),
    )
