"""Theming a consultation's free-text answers, and an officer's decisions on the themes.

A run classifies every free-text answer against the nine known themes and clusters the
answers no known theme fits. Assignments are replaced on each run; officers' decisions are
kept, so re-running after more responses arrive does not undo a sign-off. New proposals
start as ``proposed`` and stay out of reports until an officer decides.

An officer's correction of one answer's themes is kept in the database (one per answer, the
latest winning), shown in the review queue at once, and folded into the classifier's learned
examples by :func:`retrain` (``python -m services.consultation themes retrain``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.consultation.domain.definition import Consultation
from services.consultation.domain.themes.catalogue import Theme
from services.consultation.domain.themes.classifier import ThemeClassifier
from services.consultation.domain.themes.emergent import find_clusters
from services.consultation.domain.themes.learning import (
    Correction,
    correction,
    distinct_neighbours,
    fold_in,
    officers_assignment,
)
from services.consultation.domain.themes.review import ProposedTheme, decide
from services.consultation.service_layer.handlers import theme_view
from services.consultation.service_layer.unit_of_work import ConsultationUnitOfWork

EXAMPLES = 3


async def run_themes(
    uow: ConsultationUnitOfWork,
    consultation: Consultation,
    classifier: ThemeClassifier,
    themes: tuple[Theme, ...],
) -> dict[str, Any]:
    rows = await uow.consultations.responses(consultation.slug)
    texts: list[tuple[str, str, str]] = []  # (response_id, question_id, text)
    for row in rows:
        answers = json.loads(row.answers)
        texts.extend(
            (row.response_id, q.id, answers[q.id])
            for q in consultation.free_text
            if isinstance(answers.get(q.id), str)
        )
    assignments = classifier.assign([t for _, _, t in texts])
    corrected = {
        (c.response_id, c.question_id): c
        for c in await uow.consultations.corrections(consultation.slug)
    }
    assignments = [  # the officer's word wins over the machine's, in the report too
        officers_assignment(corrected[(r, q)]) if (r, q) in corrected else assignment
        for (r, q, _), assignment in zip(texts, assignments, strict=True)
    ]
    stored = await uow.consultations.themes(consultation.slug)
    # (response, question, theme, score, reasons): the repository stores them as it likes.
    records: list[tuple[str, str, str, float, dict[str, Any]]] = []
    examples: dict[str, list[dict[str, Any]]] = {}
    for (response_id, question_id, text), assignment in zip(texts, assignments, strict=True):
        for theme_id in assignment.themes:
            reasons = distinct_neighbours(assignment.reasons.get(theme_id, {}))
            records.append(
                (response_id, question_id, theme_id, assignment.scores[theme_id], reasons)
            )
            examples.setdefault(theme_id, []).append(
                {"quote": text, "score": assignment.scores[theme_id], "why": reasons}
            )
    unthemed = [i for i, a in enumerate(assignments) if not a.confident]
    clusters = find_clusters([texts[i][2] for i in unthemed])
    for cluster in clusters:
        key = cluster.key[:80]
        for member in cluster.members:
            response_id, question_id, _ = texts[unthemed[member]]
            records.append(
                (response_id, question_id, key, 0.0, {"cluster_words": list(cluster.words)})
            )
    await uow.consultations.replace_assignments(consultation.slug, records)
    labels = {t.id: t.label for t in themes}
    for theme_id, found in examples.items():
        proposal = stored.get(theme_id, (ProposedTheme(theme_id, "known", labels[theme_id]), {}))[0]
        found.sort(key=lambda e: -e["score"])
        detail = {"answers": len(found), "examples": found[:EXAMPLES]}
        await uow.consultations.save_theme(consultation.slug, proposal, detail)
    for cluster in clusters:
        key = cluster.key[:80]
        proposal = stored.get(key, (ProposedTheme(key, "emergent", cluster.label[:120]), {}))[0]
        detail = {
            "answers": len(cluster.members),
            "words": list(cluster.words),
            "examples": [
                {"quote": q, "why": {"cluster_words": list(cluster.words)}} for q in cluster.quotes
            ],
        }
        await uow.consultations.save_theme(consultation.slug, proposal, detail)
    await uow.commit()
    return {
        "answers": len(texts),
        "themed": sum(1 for a in assignments if a.confident),
        "needs_person": sum(1 for a in assignments if a.needs_person),
        "known_themes": sorted(examples),
        "new_themes": [c.key[:80] for c in clusters],
    }


async def _free_text(
    uow: ConsultationUnitOfWork, consultation: Consultation
) -> list[tuple[str, str, str]]:
    texts: list[tuple[str, str, str]] = []  # (response_id, question_id, text)
    for row in await uow.consultations.responses(consultation.slug):
        answers = json.loads(row.answers)
        texts.extend(
            (row.response_id, q.id, answers[q.id])
            for q in consultation.free_text
            if isinstance(answers.get(q.id), str)
        )
    return texts


async def review_queue(
    uow: ConsultationUnitOfWork, consultation: Consultation, classifier: ThemeClassifier
) -> list[dict[str, Any]]:
    """Every free-text answer with its themes and confidence; those that need a person first,
    least sure first, so an officer's time goes where the machine is weakest. An answer an
    officer has corrected carries the officer's themes, ``corrected`` and who corrected it,
    no longer needs a person, and goes after the others: it is done."""
    texts = await _free_text(uow, consultation)
    corrected = {
        (c.response_id, c.question_id): c
        for c in await uow.consultations.corrections(consultation.slug)
    }
    assignments = classifier.assign([t for _, _, t in texts], explain=False)
    queue = []
    for (response_id, question_id, text), assignment in zip(texts, assignments, strict=True):
        answer: dict[str, Any] = {
            "response_id": response_id,
            "question_id": question_id,
            "text": text,
            "themes": assignment.themes,
            "confidence": assignment.confidence,
            "needs_person": assignment.needs_person,
            "corrected": False,
        }
        officer = corrected.get((response_id, question_id))
        if officer is not None:
            answer["suggested"] = assignment.themes
            answer["themes"] = sorted(officer.example.themes)
            answer["needs_person"] = False
            answer["corrected"] = True
            answer["corrected_by"] = officer.corrected_by
            answer["corrected_at"] = officer.corrected_at.isoformat()
        queue.append(answer)
    return sorted(queue, key=lambda a: (not a["needs_person"], a["corrected"], a["confidence"]))


async def correct_answer(
    uow: ConsultationUnitOfWork,
    consultation: Consultation,
    response_id: str,
    question_id: str,
    themes: Any,
    *,
    by: str,
    now: datetime,
) -> dict[str, Any]:
    """An officer's confirmation or correction of one answer's themes, kept (replacing any
    earlier one of the same answer) as a training example for ``themes retrain``. Raises
    KeyError for an unknown answer and InvalidCorrection naming the field."""
    texts = {(r, q): t for r, q, t in await _free_text(uow, consultation)}
    text = texts.get((response_id, question_id))
    if text is None:
        raise KeyError(f"{response_id}/{question_id}")
    kept = Correction(
        consultation=consultation.slug,
        response_id=response_id,
        question_id=question_id,
        example=correction({"text": text, "themes": themes}),
        corrected_by=by,
        corrected_at=now,
    )
    await uow.consultations.save_correction(kept)
    await uow.commit()
    return kept.view()


async def retrain(uow: ConsultationUnitOfWork, *, now: datetime) -> dict[str, int]:
    """Fold every officer's correction into the learned examples and mark the new ones learned.

    All stored corrections are folded each time, not only the new ones, so the learned
    examples can be rebuilt on any machine from the database; the latest word on an answer's
    text wins (the old corrections file, if any, first, then the database oldest first).
    Raises InvalidCorrection naming the line of a bad corrections file.
    """
    async with uow:
        stored = await uow.consultations.corrections()
        from_file = uow.learned.file_corrections()
        before = uow.learned.read()
        learned = fold_in(before, [*from_file, *(c.example for c in stored)])
        uow.learned.write(learned)
        new = [c for c in stored if c.learned_at is None]
        marked = await uow.consultations.mark_learned(new, now)
        await uow.commit()
    return {
        "corrections": len(from_file) + marked,
        "learned_before": len(before),
        "learned": len(learned),
        "from_database": marked,
        "from_file": len(from_file),
        "stored": len(stored),
    }


async def list_themes(
    uow: ConsultationUnitOfWork, consultation: Consultation
) -> list[dict[str, Any]]:
    stored = await uow.consultations.themes(consultation.slug)
    views = [theme_view(theme, detail) for theme, detail in stored.values()]
    return sorted(views, key=lambda v: (v["kind"] != "known", -int(v.get("answers", 0)), v["key"]))


async def decide_theme(
    uow: ConsultationUnitOfWork,
    consultation: Consultation,
    key: str,
    action: str,
    *,
    by: str,
    label: str | None = None,
    into: str | None = None,
) -> dict[str, Any]:
    """Raises KeyError for an unknown theme and IllegalDecision for one that cannot apply."""
    stored = await uow.consultations.themes(consultation.slug)
    proposals = {k: theme for k, (theme, _) in stored.items()}
    theme = decide(proposals, key, action, by=by, label=label, into=into)
    for other in proposals.values():  # a merge may have re-pointed others at the target
        await uow.consultations.save_theme(consultation.slug, other, stored[other.key][1])
    await uow.commit()
    return theme_view(theme, stored[key][1])
