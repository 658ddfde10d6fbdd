"""Reading the shipped data: consultation definitions, themes and labelled theme examples.

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

from services.consultation.domain.definition import Consultation, build_consultation
from services.consultation.domain.themes.catalogue import Theme, build_themes
from services.consultation.domain.themes.classifier import Example, ThemeClassifier
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
def static_encoder() -> StaticEncoder:
    """The word-piece vectors distilled from all-MiniLM-L6-v2 (see ``bench/themes_minilm.py``)."""
    with np.load(DATA / "minilm_static.npz") as stored:
        vectors = stored["vectors"].astype(np.float32) * stored["scale"][:, None]
        vocab = str(stored["vocab"]).split("\n")
    return StaticEncoder(vocab, vectors)


def shipped_examples() -> list[Example]:
    return read_examples(DATA / "theme_examples.jsonl")


def learned_path() -> Path:
    """Officers' corrections folded in by ``themes retrain`` (``CONSULTATION_THEMES_LEARNED``)."""
    return Path(os.environ.get("CONSULTATION_THEMES_LEARNED", "var/themes/learned.jsonl"))


def corrections_path() -> Path:
    """Officers' corrections as they are made (``CONSULTATION_THEMES_CORRECTIONS``)."""
    return Path(os.environ.get("CONSULTATION_THEMES_CORRECTIONS", "var/themes/corrections.jsonl"))


def append_correction(record: dict[str, Any]) -> None:
    """One officer's correction, appended as a JSON line (read by ``themes retrain``)."""
    path = corrections_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def learned_examples() -> list[Example]:
    path = learned_path()
    return read_examples(path) if path.exists() else []


@lru_cache(maxsize=1)
def shipped_classifier() -> ThemeClassifier:
    """The classifier trained on the shipped examples (once per process, in seconds)."""
    return ThemeClassifier(load_themes(), encoder=static_encoder()).fit(
        shipped_examples() + learned_examples()
    )
