"""New themes: answers no known theme fits, grouped by what they say, with example quotes.

Answers without a confident known theme are put into TF-IDF space (common English words
left out) and grouped by agglomerative clustering on cosine distance; the number of groups is
the one with the best silhouette score. Each group of at least ``min_size`` answers is a
candidate theme, labelled by its most characteristic words and shown with the answers
nearest its centre as quotes. Officers decide whether it is a theme (see :mod:`review`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score

from services.consultation.domain.themes.features import normalise


@dataclass(frozen=True)
class Cluster:
    """A candidate new theme: a key, its top words, its members' indexes and quotes."""

    key: str
    label: str
    words: tuple[str, ...]
    members: tuple[int, ...]
    quotes: tuple[str, ...]


def find_clusters(
    texts: Sequence[str], *, min_size: int = 3, max_clusters: int = 8, quotes: int = 3
) -> list[Cluster]:
    """Candidate new themes among ``texts`` (deterministic for the same input)."""
    usable = [i for i, t in enumerate(texts) if len(t.split()) >= 3]
    if len(usable) < 2 * min_size:
        return []
    vectoriser = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2, max_df=0.6)
    try:
        matrix = vectoriser.fit_transform([normalise(texts[i]) for i in usable]).toarray()
    except ValueError:  # no word appears twice: nothing to group on
        return []
    keep = matrix.sum(axis=1) > 0
    usable = [i for i, k in zip(usable, keep, strict=True) if k]
    matrix = matrix[keep]
    if len(usable) < 2 * min_size:
        return []
    matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    best: tuple[float, np.ndarray] | None = None
    for k in range(2, min(max_clusters, len(usable) // min_size) + 1):
        labels = AgglomerativeClustering(
            n_clusters=k, metric="cosine", linkage="average"
        ).fit_predict(matrix)
        if len(set(labels)) < 2:
            continue
        score = float(silhouette_score(matrix, labels, metric="cosine"))
        if best is None or score > best[0]:
            best = (score, labels)
    if best is None:
        return []
    names = vectoriser.get_feature_names_out()
    clusters = []
    for label in sorted(set(best[1])):
        rows = np.flatnonzero(best[1] == label)
        if len(rows) < min_size:
            continue
        centre = matrix[rows].mean(axis=0)
        top = tuple(str(names[j]) for j in np.argsort(-centre)[:3] if centre[j] > 0)
        nearest = rows[np.argsort(-(matrix[rows] @ centre))][:quotes]
        members = tuple(usable[r] for r in rows)
        clusters.append(
            Cluster(
                key="new-" + "-".join(w.replace(" ", "_") for w in top[:2]),
                label=", ".join(top),
                words=top,
                members=members,
                quotes=tuple(texts[usable[r]] for r in nearest),
            )
        )
    return sorted(clusters, key=lambda c: -len(c.members))
