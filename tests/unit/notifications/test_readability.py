"""Readability, measured: Flesch reading ease >= 60 for every carer-facing text, >= 70 for
easy read (textstat). Links are left out of the score: they are not sentences."""

from __future__ import annotations

import textstat

from services.notifications.domain.plain_english import readable_text
from tests.unit.notifications.conftest import Rendering

PLAIN, EASY = 60, 70


def test_every_carer_facing_message_is_plain_english_and_easy_read_is_easier(
    renderings: list[Rendering],
) -> None:
    scores = {
        str(r): (textstat.flesch_reading_ease(readable_text(r.text)), r.easy_read)
        for r in renderings
    }
    too_hard = {
        name: score for name, (score, easy) in scores.items() if score < (EASY if easy else PLAIN)
    }
    assert too_hard == {}
