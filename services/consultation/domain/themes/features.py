"""Turning an answer into what the classifier sees, with negation and dismissal marked.

Carers often name a theme only to set it aside: "Money isn't the problem, it's the
loneliness". A bag of words would count "money" for *cost*. Two things guard against that:

- each answer is split into clauses (at sentence ends, commas, semicolons, "but",
  "however"...); a clause that *dismisses* what it names ("is not the problem", "is fine",
  "we don't need", "not worried about", "I'm not lonely") has its cue matches counted
  separately, as dismissed;
- words after a negation ("not", "never", "n't", "no") up to the end of the clause are
  marked ``NOT_word`` for the TF-IDF features (Das and Chen's negation marking), so
  "not listened to" and "listened to" are different features and the model learns which
  way each one points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from services.consultation.domain.themes.catalogue import Theme

_CLAUSE = re.compile(
    r"[.;!?\n]+|,|\s-\s|\s\u2013\s|\bbut\b|\bhowever\b|\balthough\b|\bwhereas\b|\bwhat i need\b"
    r"|\bwhat we need\b|\bwhat i want\b|\bit'?s (?:more|really) (?:about|the)\b|\binstead\b"
)
_WORD = re.compile(r"[a-z£&][a-z0-9'&/-]*|\d+(?:am|pm)?")
_NEGATORS = frozenset(
    {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "cannot"}
)
_DISMISSALS = re.compile(
    r"(?:is|are|was|were|'s|'re|isn't|aren't|wasn't|weren't)\s+(?:not\s+|never\s+)?"
    r"(?:really\s+|actually\s+|honestly\s+)?"
    r"(?:fine|ok|okay|alright|all right|sorted|good|great|brilliant|excellent"
    r"|not an issue|no problem"
    r"|not a problem|not the (?:problem|issue|main (?:problem|issue)|point|thing))"
    r"|\bisn'?t (?:the |a |an )?(?:problem|issue|concern|worry|priority)"
    r"|\baren'?t (?:the |a |an )?(?:problem|issue|concern|worry|priority)"
    r"|\bnot (?:the |a |an |my )?(?:problem|issue|concern|worry|priority)"
    r"|\b(?:don'?t|do not|doesn'?t|does not|didn'?t|never) (?:really )?"
    r"(?:need|want|use|bother|matter|worry)"
    r"|\bnot (?:really )?(?:worried|bothered|interested|fussed|needed|relevant)"
    r"|\bno (?:problems?|issues?|complaints?|worries|concerns?) (?:with|about|there)"
    r"|\b(?:never|hasn'?t|haven'?t) (?:been|had) (?:a|an|any) (?:problem|issue|difficulty)"
    r"|\b(?:i'?m|i am|we'?re|we are) not (?:lonely|isolated|alone|on my own)"
    r"|\bnever (?:lonely|isolated|alone)"
    r"|\bmanage (?:fine|ok|okay|well)|\b(?:happy|fine|ok|okay) with (?:the|my|our)"
    r"|\bcovers? (?:everything|it all|what (?:i|we) need)|\bplenty of"
    r"|\b(?:isn'?t|is not|aren'?t|are not|wasn'?t) (?:really )?what (?:i|we) (?:need|want)"
)


def normalise(text: str) -> str:
    """Lower case with curly quotes straightened, so cues and words match however typed."""
    return (
        text.lower()
        .replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
    )


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(normalise(text)) if c and c.strip()]


def is_dismissive(clause: str) -> bool:
    return bool(_DISMISSALS.search(clause))


def negation_marked(text: str) -> str:
    """The answer's words, with those after a negation in the same clause prefixed ``NOT_``."""
    out: list[str] = []
    for clause in clauses(text):
        negated = False
        for word in _WORD.findall(clause):
            if word in _NEGATORS or word.endswith("n't"):
                negated = True
                out.append(word)
                continue
            out.append(f"NOT_{word}" if negated else word)
    return " ".join(out)


@dataclass(frozen=True)
class CueMatch:
    """One cue found in an answer: which theme, the words matched, and whether dismissed."""

    theme: str
    words: str
    dismissed: bool


def cue_matches(text: str, themes: tuple[Theme, ...]) -> list[CueMatch]:
    found: list[CueMatch] = []
    for clause in clauses(text):
        dismissed = is_dismissive(clause)
        for theme in themes:
            for cue in theme.cues:
                match = cue.search(clause)
                if match:
                    found.append(CueMatch(theme.id, match.group(0), dismissed))
    return found


def cue_features(texts: list[str], themes: tuple[Theme, ...]) -> np.ndarray:
    """Per answer, per theme: log(1 + live cue matches) and log(1 + dismissed matches)."""
    matrix = np.zeros((len(texts), 2 * len(themes)), dtype=float)
    index = {theme.id: i for i, theme in enumerate(themes)}
    for row, text in enumerate(texts):
        for match in cue_matches(text, themes):
            column = 2 * index[match.theme] + (1 if match.dismissed else 0)
            matrix[row, column] += 1
    return np.log1p(matrix)
