"""What an answer means, as a vector: static word-piece vectors distilled from MiniLM.

Every WordPiece of all-MiniLM-L6-v2's vocabulary has a vector (made offline by
``bench/themes_minilm.py`` from the published weights: the piece run through the model on its
own, reduced by PCA). An answer's vector is the mean of its pieces' vectors, leaving out
common English words, punctuation, and the clauses that only name a theme to set it aside
("money isn't the problem"), then scaled to length 1. Words no labelled answer used still
land near words of the same meaning ("knackered" near "exhausted"), which TF-IDF cannot do.

Pure computation: the arrays are handed in (see ``adapters/catalogue.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from services.consultation.domain.themes.features import clauses, is_dismissive
from services.consultation.domain.themes.wordpiece import WordPiece, basic_words


class SentenceEncoder(Protocol):
    """Anything that turns answers into unit vectors, one row per answer, the same answer
    always to the same row: the static vectors here, or the contextual model the
    consultation's adapters run (``adapters/sentence_encoder.py``)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def live_clauses(text: str) -> list[str]:
    """The answer's clauses less those that name a theme only to set it aside ("money isn't
    the problem"); all of them when every clause does. Averaged word vectors read "money" in
    "money isn't the problem" as being about money."""
    parts = clauses(text)
    return [c for c in parts if not is_dismissive(c)] or parts


_KEEP = frozenset({"not", "no", "never", "nobody", "alone", "help", "nothing", "cannot"})


class StaticEncoder:
    """Texts to unit vectors; deterministic, a dictionary look-up and a mean per answer."""

    def __init__(self, vocab: Sequence[str], vectors: np.ndarray) -> None:
        if len(vocab) != len(vectors):
            raise ValueError(f"vectors: {len(vectors)} rows for a vocabulary of {len(vocab)}")
        self.tokeniser = WordPiece(vocab)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.dims = self.vectors.shape[1]
        self._skip = {w for w in ENGLISH_STOP_WORDS if w not in _KEEP and w in self.tokeniser.ids}

    def _ids(self, text: str) -> list[int]:
        ids: list[int] = []
        for clause in live_clauses(text):
            for word in basic_words(clause):
                if word in self._skip or not any(ch.isalnum() for ch in word):
                    continue
                ids.extend(self.tokeniser.pieces(word))
        return ids

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An (answers x dims) array of unit vectors (zeros for an answer with no words)."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self._ids(text)
            if ids:
                out[row] = self.vectors[ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)
