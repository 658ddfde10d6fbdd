"""Which of the nine themes each free-text answer touches (several may), and why.

One logistic regression per theme (one-vs-rest) over two kinds of feature:

- TF-IDF of words and word pairs, with negation marked (see :mod:`features`);
- per theme, how many of its cue phrases the answer uses, live or dismissed.

With an encoder (:mod:`semantic`), a second regression per theme reads the answer's meaning
vector, and the two probabilities are blended (``semantic_share`` of the vectors' one): the
words carry what the examples taught, the vectors carry synonyms no example used. Each answer
gets a *confidence*, how far its least certain theme decision is from the threshold (1 = sure of
all nine, 0 = a coin toss); answers under ``REVIEW_BELOW`` need a person.

It is trained offline, in seconds, on labelled answers shipped in the repository; nothing is
downloaded and no outside service is called. Every theme given to an answer comes with its
reasons: the words that pushed the score up most, the cue phrases found, and the most
similar labelled answers that carry the same theme (its neighbours).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse import linalg as sparse_linalg
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from services.consultation.domain.themes import THEME_IDS
from services.consultation.domain.themes.catalogue import Theme
from services.consultation.domain.themes.features import (
    cue_features,
    cue_matches,
    negation_marked,
)
from services.consultation.domain.themes.semantic import SentenceEncoder

THRESHOLD = 0.5
CUE_WEIGHT = 1.0
REVIEW_BELOW = 0.3
"""Confidence under which an answer goes first in the officer's queue as "needs a person"."""


@dataclass(frozen=True)
class Example:
    """A labelled answer: its text and the themes a person gave it (possibly none)."""

    text: str
    themes: frozenset[str]


@dataclass
class Assignment:
    """The themes given to one answer, each with its probability and explanation."""

    themes: list[str]
    scores: dict[str, float]
    reasons: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    confidence: float = 1.0

    @property
    def confident(self) -> bool:
        return bool(self.themes)

    @property
    def needs_person(self) -> bool:
        """Too close to call: an officer should theme this answer by hand."""
        return self.confidence < REVIEW_BELOW


def confidence(probabilities: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """Per answer: 1 minus how close its least certain theme is to the threshold, scaled."""
    distance = np.abs(probabilities - threshold) / max(threshold, 1 - threshold)
    return np.asarray(distance.min(axis=1), dtype=float)


def _only_stop_words(term: str) -> bool:
    """ "as", "the of": true but no help to an officer asking why."""
    return all(word.removeprefix("NOT_") in ENGLISH_STOP_WORDS for word in term.split())


class ThemeClassifier:
    """Multi-label theme classifier; :meth:`fit` then :meth:`assign` or :meth:`predict`."""

    def __init__(
        self,
        themes: tuple[Theme, ...],
        threshold: float = THRESHOLD,
        encoder: SentenceEncoder | None = None,
        semantic_share: float = 0.5,
    ) -> None:
        if not 0.0 <= semantic_share <= 1.0:
            raise ValueError(f"semantic_share: {semantic_share} is not between 0 and 1")
        self.themes = themes
        self.threshold = threshold
        self.encoder = encoder
        self.semantic_share = semantic_share
        self.semantic: dict[str, LogisticRegression | None] = {}
        self.vectoriser = TfidfVectorizer(
            ngram_range=(1, 2), min_df=1, sublinear_tf=True, token_pattern=r"\S+", max_df=0.5
        )
        self.models: dict[str, LogisticRegression | None] = {}
        self._train_texts: list[str] = []
        self._train_labels: list[frozenset[str]] = []
        self._train_matrix: sparse.csr_matrix | None = None

    def _features(self, texts: Sequence[str], fit: bool = False) -> sparse.csr_matrix:
        marked = [negation_marked(t) for t in texts]
        words = self.vectoriser.fit_transform(marked) if fit else self.vectoriser.transform(marked)
        cues = sparse.csr_matrix(cue_features(list(texts), self.themes) * CUE_WEIGHT)
        return sparse.hstack([words, cues]).tocsr()

    def fit(self, examples: Sequence[Example]) -> ThemeClassifier:
        texts = [e.text for e in examples]
        matrix = self._features(texts, fit=True)
        for theme in THEME_IDS:
            target = np.array([theme in e.themes for e in examples], dtype=int)
            if target.min() == target.max():  # a theme never (or always) seen: no model
                self.models[theme] = None
                continue
            model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
            self.models[theme] = model.fit(matrix, target)
        if self.encoder is not None:
            vectors = self.encoder.encode(texts)
            for theme in THEME_IDS:
                target = np.array([theme in e.themes for e in examples], dtype=int)
                if target.min() == target.max():
                    self.semantic[theme] = None
                    continue
                model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000)
                self.semantic[theme] = model.fit(vectors, target)
        self._train_texts = texts
        self._train_labels = [e.themes for e in examples]
        self._train_matrix = matrix
        return self

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """An (answers x nine themes) array of probabilities."""
        matrix = self._features(texts)
        vectors = self.encoder.encode(texts) if self.encoder is not None else None
        columns = []
        for theme in THEME_IDS:
            model = self.models.get(theme)
            column = np.zeros(len(texts)) if model is None else model.predict_proba(matrix)[:, 1]
            semantic = self.semantic.get(theme)
            if vectors is not None and semantic is not None:
                share = self.semantic_share
                column = (1 - share) * column + share * semantic.predict_proba(vectors)[:, 1]
            columns.append(column)
        return np.column_stack(columns)

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        probabilities = self.probabilities(texts)
        return [
            [THEME_IDS[j] for j in range(len(THEME_IDS)) if row[j] >= self.threshold]
            for row in probabilities
        ]

    def assign(self, texts: Sequence[str], *, explain: bool = True) -> list[Assignment]:
        """Themes for each answer, with reasons when ``explain``."""
        if not texts:
            return []
        probabilities = self.probabilities(texts)
        sureness = confidence(probabilities, self.threshold)
        matrix = self._features(texts) if explain else None
        out = []
        for i, text in enumerate(texts):
            scores = {
                t: round(float(p), 3) for t, p in zip(THEME_IDS, probabilities[i], strict=True)
            }
            chosen = [t for t in THEME_IDS if scores[t] >= self.threshold]
            assignment = Assignment(chosen, scores, confidence=round(float(sureness[i]), 3))
            if explain and matrix is not None:
                for theme in chosen:
                    assignment.reasons[theme] = self._reasons(theme, text, matrix[i])
            out.append(assignment)
        return out

    def _reasons(self, theme: str, text: str, row: sparse.csr_matrix) -> dict[str, list[str]]:
        model = self.models[theme]
        assert model is not None
        n_words = len(self.vectoriser.vocabulary_)
        names = self.vectoriser.get_feature_names_out()
        contributions = row.multiply(model.coef_[0]).tocsr()
        pairs = sorted(
            zip(contributions.indices, contributions.data, strict=True), key=lambda p: -p[1]
        )
        words = [
            str(names[j])
            for j, value in pairs
            if j < n_words and value > 0 and not _only_stop_words(str(names[j]))
        ][:5]
        cues = cue_matches(text, self.themes)
        return {
            "words": words,
            "cues": sorted({c.words for c in cues if c.theme == theme and not c.dismissed}),
            "dismissed": sorted({c.words for c in cues if c.theme == theme and c.dismissed}),
            "neighbours": self._neighbours(theme, row),
        }

    def _neighbours(self, theme: str, row: sparse.csr_matrix, k: int = 2) -> list[str]:
        """The most similar labelled answers carrying ``theme`` (cosine on the features)."""
        if self._train_matrix is None:
            return []
        norms = sparse_linalg.norm(self._train_matrix, axis=1) * (sparse_linalg.norm(row) or 1)
        similarity = (self._train_matrix @ row.T).toarray().ravel() / np.where(norms, norms, 1)
        ranked = [i for i in np.argsort(-similarity) if theme in self._train_labels[i]]
        return [self._train_texts[i] for i in ranked[:k] if similarity[i] > 0]
