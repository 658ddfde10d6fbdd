"""The review page's view of the answer queue: one page at a time.

A consultation can have thousands of free-text answers; the page shows a screenful, in the
queue's order (those that need a person first, least sure first), so an officer starts where
the machine is weakest and the page stays quick to read and to tab through. The queue itself
and the correction an officer posts from the page are :mod:`theming`'s, the same functions
the JSON endpoints use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.consultation.domain.definition import Consultation
from services.consultation.domain.themes.classifier import ThemeClassifier
from services.consultation.service_layer.theming import review_queue
from services.consultation.service_layer.unit_of_work import ConsultationUnitOfWork

PER_PAGE = 20


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, and where it sits in the whole."""

    answers: list[dict[str, Any]]
    page: int
    pages: int
    total: int
    needs_person: int


def page_of(queue: list[dict[str, Any]], page: int, per_page: int = PER_PAGE) -> QueuePage:
    """Page ``page`` (from 1) of ``queue``; a page past the end shows the last one."""
    pages = max(1, -(-len(queue) // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return QueuePage(
        answers=queue[start : start + per_page],
        page=page,
        pages=pages,
        total=len(queue),
        needs_person=sum(1 for a in queue if a["needs_person"]),
    )


async def review_queue_page(
    uow: ConsultationUnitOfWork,
    consultation: Consultation,
    classifier: ThemeClassifier,
    page: int,
    per_page: int = PER_PAGE,
) -> QueuePage:
    return page_of(await review_queue(uow, consultation, classifier), page, per_page)
