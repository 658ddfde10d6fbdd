"""How well free-text answers are themed: cross-validated micro-F1 on the labelled set.

``python -m bench.themes`` prints precision, recall and F1 per theme and micro-F1 overall.

The labelled set (``tests/data/consultation/labelled_answers.jsonl``) is split into
``--folds`` folds, ``--repeats`` times with different shuffles. Each fold is themed by a
model trained on the shipped examples (``services/consultation/data/theme_examples.jsonl``)
plus the *other* folds, never on the answers it is scored on; counts are summed over every
fold of every repeat. A second line scores the shipped model alone on the whole labelled
set, which it never saw. Nothing here tunes a parameter: the threshold and regularisation
are fixed in the classifier.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

from services.consultation.adapters.catalogue import load_themes, read_examples, shipped_examples
from services.consultation.domain.themes import THEME_IDS
from services.consultation.domain.themes.classifier import Example, ThemeClassifier

LABELLED = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "data"
    / "consultation"
    / "labelled_answers.jsonl"
)

OOD = LABELLED.parents[1] / "themes_ood" / "answers.jsonl"

Counts = dict[str, list[int]]  # theme -> [true positives, false positives, false negatives]


def _score(counts: Counts, predicted: Sequence[list[str]], truth: Sequence[Example]) -> None:
    for guess, example in zip(predicted, truth, strict=True):
        for theme in THEME_IDS:
            said, real = theme in guess, theme in example.themes
            counts[theme][0] += said and real
            counts[theme][1] += said and not real
            counts[theme][2] += real and not said


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def micro_f1(counts: Counts) -> float:
    return _f1(*(sum(c[i] for c in counts.values()) for i in range(3)))[2]


def cross_validate(labelled: list[Example], folds: int, repeats: int, seed: int = 2026) -> Counts:
    counts: Counts = {t: [0, 0, 0] for t in THEME_IDS}
    base = shipped_examples()
    themes = load_themes()
    for repeat in range(repeats):
        order = list(range(len(labelled)))
        random.Random(seed + repeat).shuffle(order)
        for fold in range(folds):
            held = [labelled[i] for i in order[fold::folds]]
            train = [labelled[i] for i in order if i not in set(order[fold::folds])]
            model = ThemeClassifier(themes).fit(base + train)
            _score(counts, model.predict([e.text for e in held]), held)
    return counts


def shipped_only(labelled: list[Example]) -> Counts:
    counts: Counts = {t: [0, 0, 0] for t in THEME_IDS}
    model = ThemeClassifier(load_themes()).fit(shipped_examples())
    _score(counts, model.predict([e.text for e in labelled]), labelled)
    return counts


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(
        prog="python -m bench.themes", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    args = parser.parse_args(argv)
    labelled = read_examples(args.labelled)
    counts = cross_validate(labelled, args.folds, args.repeats)
    print(
        f"{len(labelled)} labelled answers, "
        f"{args.folds}-fold cross-validation x {args.repeats} repeats"
    )
    print(f"{'theme':<16}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}")
    for theme in THEME_IDS:
        tp, fp, fn = counts[theme]
        precision, recall, f1 = _f1(tp, fp, fn)
        print(
            f"{theme:<16}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}{(tp + fn) // args.repeats:>9}"
        )
    overall = micro_f1(counts)
    print(f"cross-validated micro-F1: {overall:.3f}")
    print(
        "shipped model alone on the whole labelled set: "
        f"micro-F1 {micro_f1(shipped_only(labelled)):.3f}"
    )
    return overall


if __name__ == "__main__":
    main()
