"""Plain English rules a message must pass before it reaches a carer.

Carers said messages are "full of jargon and acronyms" (seed 002, theme d). Two checks run in
the tests over every rendered template: an acronym must be spelt out before it is first used
("Voluntary Action South Leicestershire (VASL)"), and words from the jargon list must not
appear at all. Readability scores (Flesch) are measured in the tests with textstat.
"""

from __future__ import annotations

import re

GLOSSARY: dict[str, str] = {
    "VASL": "Voluntary Action South Leicestershire",
    "NHS": "National Health Service",
}
"""Acronyms a message may use, once it has used the words they stand for."""

JARGON: tuple[str, ...] = (
    "referral",
    "referred",
    "signpost",
    "service user",
    "stakeholder",
    "pathway",
    "eligibility",
    "eligible",
    "statutory",
    "facilitate",
    "utilise",
    "commissioned",
    "safeguarding",
    "multi-agency",
    "provision",
    "in receipt of",
)
"""Words carers should not have to decode; say what happens instead."""

_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
_URL = re.compile(r"https?://\S+")


def unexplained_acronyms(text: str, glossary: dict[str, str] = GLOSSARY) -> list[str]:
    """Acronyms used before (or without) the words they stand for appearing in ``text``."""
    text = _URL.sub("", text)
    found: list[str] = []
    for acronym in dict.fromkeys(_ACRONYM.findall(text)):
        first = re.search(rf"\b{acronym}\b", text)
        assert first is not None
        expansion = glossary.get(acronym)
        if expansion is None or expansion.lower() not in text[: first.start()].lower():
            found.append(acronym)
    return found


def jargon_in(text: str) -> list[str]:
    lowered = _URL.sub("", text).lower()
    return [word for word in JARGON if re.search(rf"\b{re.escape(word)}\b", lowered)]


def readable_text(text: str) -> str:
    """The words a carer reads: links are left out of readability scores (they are not
    sentences, and a long link would count as one enormous word)."""
    return _URL.sub("", text)
