"""Reading the shipped data: consultation definitions, themes and labelled theme examples,
and the examples learned from officers (see :class:`LearnedExamplesFile`).

Definitions are YAML files under ``services/consultation/data/consultations/`` (one per
consultation; more can be added from another folder with ``CONSULTATION_DEFINITIONS_DIR``).
They are read once at start-up; a malformed one stops the service with the field named.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from services.consultation.adapters.theme_model import ThemeModel, choose
from services.consultation.domain.definition import Consultation, build_consultation
from services.consultation.domain.themes.catalogue import Theme, build_themes
from services.consultation.domain.themes.classifier import Example, ThemeClassifier
from services.consultation.domain.themes.learning import (
    InvalidCorrection,
    correction,
    training_set,
)
from services.consultation.domain.themes.semantic import StaticEncoder

DATA = Path(__file__).resolve().parents[1] / "data"


def _yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_consultations(*folders: Path) -> dict[str, Consultation]:
    """Every consultation defined in ``folders`` (default: the shipped ones), by slug."""
    equality = _yaml(DATA / "equality.yaml")
    found: dict[str, Consultation] = {}
    for folder in folders or (DATA / "consultations",):
        for path in sorted(folder.glob("*.yaml")):
            consultation = build_consultation(_yaml(path), equality)
            found[consultation.slug] = consultation
    return found


@lru_cache(maxsize=1)
def load_themes() -> tuple[Theme, ...]:
    return build_themes(_yaml(DATA / "themes.yaml"))


def read_examples(path: Path) -> list[Example]:
    """Labelled answers from JSON lines ``{"text": ..., "themes": [...]}``."""
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                examples.append(Example(row["text"], frozenset(row["themes"])))
    return examples


@lru_cache(maxsize=1)
def _static_vectors() -> tuple[tuple[str, ...], np.ndarray]:
    with np.load(DATA / "minilm_static.npz") as stored:
        vectors = stored["vectors"].astype(np.float32) * stored["scale"][:, None]
        vocab = tuple(str(stored["vocab"]).split("\n"))
    return vocab, vectors


@lru_cache(maxsize=1)
def static_encoder() -> StaticEncoder:
    """The word-piece vectors distilled from all-MiniLM-L6-v2 (see ``bench/themes_minilm.py``)."""
    return StaticEncoder(*_static_vectors())


@lru_cache(maxsize=1)
def theme_model() -> ThemeModel:
    """The sentence model themes are read with: contextual if installed (see
    :mod:`theme_model`), else the static vectors. Its vocabulary is the static vectors' one,
    which is all-MiniLM-L6-v2's own."""
    return choose(static_encoder(), _static_vectors()[0])


def classifier_for(examples: list[Example]) -> ThemeClassifier:
    """A classifier configured as the shipped one, trained on ``examples``."""
    model = theme_model()
    return ThemeClassifier(
        load_themes(), encoder=model.encoder, semantic_share=model.semantic_share
    ).fit(examples)


def shipped_examples() -> list[Example]:
    """The examples written for each theme (``theme_examples.jsonl``)."""
    return read_examples(DATA / "theme_examples.jsonl")


def labelled_examples() -> list[Example]:
    """The project's labelled answers (``labelled_answers.jsonl``): trained on by the shipped
    classifier, and the folds of ``bench.themes``'s cross-validation."""
    return read_examples(DATA / "labelled_answers.jsonl")


def learned_path() -> Path:
    """Officers' corrections folded in by ``themes retrain`` (``CONSULTATION_THEMES_LEARNED``)."""
    return Path(os.environ.get("CONSULTATION_THEMES_LEARNED", "var/themes/learned.jsonl"))


def corrections_path() -> Path:
    """Corrections written as JSON lines before they were kept in the database
    (``CONSULTATION_THEMES_CORRECTIONS``); still read by ``themes retrain`` if present."""
    return Path(os.environ.get("CONSULTATION_THEMES_CORRECTIONS", "var/themes/corrections.jsonl"))


def learned_examples() -> list[Example]:
    path = learned_path()
    return read_examples(path) if path.exists() else []


class LearnedExamplesFile:
    """The examples the classifier learns from besides the shipped ones, kept as JSON lines
    on this machine; rebuilt from the database's corrections by each ``themes retrain``, so
    losing it loses nothing but a retraining. Also reads the corrections file of old."""

    def __init__(self, learned: Path, corrections: Path) -> None:
        self.path = learned
        self.corrections_path = corrections

    @classmethod
    def from_environment(cls) -> LearnedExamplesFile:
        return cls(learned_path(), corrections_path())

    def read(self) -> list[Example]:
        return read_examples(self.path) if self.path.exists() else []

    def file_corrections(self) -> list[Example]:
        """The corrections file's lines as examples; a bad line raises InvalidCorrection
        naming the file and line."""
        source = self.corrections_path
        if not source.exists():
            return []
        found = []
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise InvalidCorrection("expected an object with text and themes")
                found.append(correction(record))
            except ValueError as error:
                raise InvalidCorrection(f"{source}:{number}: {error}") from None
        return found

    def write(self, examples: list[Example]) -> None:
        """Replace the learned examples (whole file, then renamed into place, so a classifier
        starting meanwhile reads the old set or the new, never half)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        with partial.open("w", encoding="utf-8") as handle:
            for example in examples:
                row = {"text": example.text, "themes": sorted(example.themes)}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        partial.replace(self.path)
        shipped_classifier.cache_clear()  # the next one learns from the new set


@lru_cache(maxsize=1)
def shipped_classifier() -> ThemeClassifier:
    """The classifier trained on the shipped examples, the labelled answers and the learned
    ones, each learned one weighted ``OFFICER_WEIGHT`` times (once per process, in seconds)."""
    return classifier_for(
        training_set(shipped_examples() + labelled_examples(), learned_examples())
    )
