"""How well free-text answers are themed: cross-validated micro-F1 on the labelled set.

``python -m bench.themes`` prints precision, recall and F1 per theme and micro-F1 overall.

The labelled set (``services/consultation/data/labelled_answers.jsonl``) is split into
``--folds`` folds, ``--repeats`` times with different shuffles. Each fold is themed by a
model configured as the shipped one (``catalogue.classifier_for``: the contextual sentence
model if installed, else the static vectors; the first line says which) and trained on the
theme examples (``services/consultation/data/theme_examples.jsonl``) plus the *other* folds,
never on the answers it is scored on; counts are summed over every fold of every repeat. A
second line scores a model trained on the theme examples alone on the whole labelled set.
Nothing here tunes a parameter: the threshold, regularisation and the sentence model's share
are fixed in the classifier and ``theme_model``.

Then the out-of-distribution yardstick (``tests/data/themes_ood/answers.jsonl``, written
independently and never trained on), themed by the shipped configuration trained on what the
service trains on (theme examples and labelled answers): per-theme precision, recall and F1,
micro-F1 with a bootstrap 95% interval (answers resampled), the precision of confidently themed
answers and the share sent to a person, and the learning curve: F1 on the answers *not*
corrected after 0, 25, 50, 100 of its answers are fed back as simulated officer corrections.
Last, theming 10,000 answers with model load included, timed.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Sequence
from pathlib import Path

from services.consultation.adapters import catalogue
from services.consultation.adapters.catalogue import (
    DATA,
    classifier_for,
    labelled_examples,
    read_examples,
    shipped_examples,
)
from services.consultation.domain.themes import THEME_IDS
from services.consultation.domain.themes.classifier import Example
from services.consultation.domain.themes.learning import OFFICER_WEIGHT, training_set

LABELLED = DATA / "labelled_answers.jsonl"
OOD = Path(__file__).resolve().parents[1] / "tests" / "data" / "themes_ood" / "answers.jsonl"

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
    for repeat in range(repeats):
        order = list(range(len(labelled)))
        random.Random(seed + repeat).shuffle(order)
        for fold in range(folds):
            held = [labelled[i] for i in order[fold::folds]]
            train = [labelled[i] for i in order if i not in set(order[fold::folds])]
            model = classifier_for(base + train)
            _score(counts, model.predict([e.text for e in held]), held)
    return counts


def shipped_only(labelled: list[Example]) -> Counts:
    counts: Counts = {t: [0, 0, 0] for t in THEME_IDS}
    model = classifier_for(shipped_examples())
    _score(counts, model.predict([e.text for e in labelled]), labelled)
    return counts


def _table(counts: Counts, repeats: int = 1) -> None:
    print(f"{'theme':<16}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}")
    for theme in THEME_IDS:
        tp, fp, fn = counts[theme]
        precision, recall, f1 = _f1(tp, fp, fn)
        print(f"{theme:<16}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}{(tp + fn) // repeats:>9}")


def bootstrap(
    guesses: list[list[str]], truth: list[Example], rounds: int = 1000
) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of micro-F1 over answers resampled with replacement."""
    rng = random.Random(2026)
    scores = []
    for _ in range(rounds):
        pick = [rng.randrange(len(truth)) for _ in truth]
        counts: Counts = {t: [0, 0, 0] for t in THEME_IDS}
        _score(counts, [guesses[i] for i in pick], [truth[i] for i in pick])
        scores.append(micro_f1(counts))
    scores.sort()
    return scores[int(0.025 * rounds)], scores[int(0.975 * rounds) - 1]


def out_of_distribution(ood: list[Example]) -> float:
    model = classifier_for(shipped_examples() + labelled_examples())
    assignments = model.assign([e.text for e in ood], explain=False)
    guesses = [a.themes for a in assignments]
    counts: Counts = {t: [0, 0, 0] for t in THEME_IDS}
    _score(counts, guesses, ood)
    print(f"\nout-of-distribution: {len(ood)} independently written answers, never trained on")
    _table(counts)
    overall = micro_f1(counts)
    low, high = bootstrap(guesses, ood)
    macro = sum(_f1(*counts[t])[2] for t in THEME_IDS) / len(THEME_IDS)
    print(f"OOD micro-F1: {overall:.3f} (95% CI {low:.3f}-{high:.3f}), macro-F1 {macro:.3f}")
    sure = [i for i, a in enumerate(assignments) if not a.needs_person]
    exact = sum(1 for i in sure if frozenset(guesses[i]) == ood[i].themes)
    sure_counts: Counts = {t: [0, 0, 0] for t in THEME_IDS}
    _score(sure_counts, [guesses[i] for i in sure], [ood[i] for i in sure])
    tp, fp = (sum(c[k] for c in sure_counts.values()) for k in (0, 1))
    print(
        f"confident answers: {len(sure)} of {len(ood)}; sent to a person: "
        f"{1 - len(sure) / len(ood):.0%}; precision of confident themes "
        f"{tp / (tp + fp) if tp + fp else 0:.3f}, exactly right {exact / max(len(sure), 1):.0%}, "
        f"micro-F1 {micro_f1(sure_counts):.3f}"
    )
    return overall


def learning_curve(
    ood: list[Example],
    steps: tuple[int, ...] = (0, 25, 50, 100),
    weights: tuple[int, ...] = (1, OFFICER_WEIGHT),
    shuffles: tuple[int, ...] = (7,),
) -> None:
    """OOD labels used only as simulated officer corrections; scored on the rest only.

    Each correction counts ``weight`` times in training (``learning.training_set``); one row
    per weight, so the shipped weight is chosen by this curve, not guessed. With several
    ``shuffles`` (seeds for which answers are corrected first) each cell is their mean.
    Beside each F1, in brackets: the share of the corrected answers themselves that the
    retrained model themes exactly as the officer did.
    """
    print("\nlearning curve (micro-F1 on the OOD answers not corrected [corrected ones kept]):")
    print(f"  {'weight':<8}" + "".join(f"{n:>15}" for n in steps))
    for weight in weights:
        row = []
        for n in steps:
            scores, kept = [], []
            for seed in shuffles:
                order = list(range(len(ood)))
                random.Random(seed).shuffle(order)
                corrected = [ood[i] for i in order[:n]]
                rest = [ood[i] for i in order[n:]]
                model = classifier_for(
                    training_set(shipped_examples() + labelled_examples(), corrected, weight)
                )
                counts: Counts = {t: [0, 0, 0] for t in THEME_IDS}
                _score(counts, model.predict([e.text for e in rest]), rest)
                scores.append(micro_f1(counts))
                again = model.predict([e.text for e in corrected]) if corrected else []
                same = sum(set(g) == e.themes for g, e in zip(again, corrected, strict=True))
                kept.append(same / n if n else 1.0)
            f1, share = sum(scores) / len(scores), sum(kept) / len(kept)
            row.append(f"{f1:.3f} [{share:.0%}]")
        print(f"  x{weight:<7}" + "".join(f"{cell:>15}" for cell in row))


def speed(n: int = 10_000) -> None:
    """Theming ``n`` answers as the service does, in batches of 256, timed from a cold start:
    the sentence model's graph opened, the static vectors read, the classifier trained."""
    texts = [e.text for e in read_examples(LABELLED)]
    batch = [texts[i % len(texts)] + f" ({i})" for i in range(n)]
    for cached in (
        catalogue.shipped_classifier,
        catalogue.theme_model,
        catalogue.static_encoder,
        catalogue._static_vectors,
    ):
        cached.cache_clear()
    started = time.perf_counter()
    model = catalogue.shipped_classifier()
    loaded = time.perf_counter() - started
    for start in range(0, n, 256):
        model.assign(batch[start : start + 256], explain=False)
    total = time.perf_counter() - started
    print(f"\ntheming {n} answers: {total:.1f} s including model load ({loaded:.1f} s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(
        prog="python -m bench.themes", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    parser.add_argument("--ood", type=Path, default=OOD)
    parser.add_argument(
        "--officer-weights",
        default=f"1,{OFFICER_WEIGHT}",
        help="learning curve: how many times each correction counts, one row each (e.g. 1,2,3,5)",
    )
    parser.add_argument(
        "--shuffles", type=int, default=1, help="learning curve: mean over this many orders"
    )
    args = parser.parse_args(argv)
    labelled = read_examples(args.labelled)
    model = catalogue.theme_model()
    print(
        f"sentence model: {model.name}, its share of each theme's probability "
        f"{model.semantic_share}" + (f" ({model.why})" if model.why else "")
    )
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
        "trained on the theme examples alone, on the whole labelled set: "
        f"micro-F1 {micro_f1(shipped_only(labelled)):.3f}"
    )
    if args.ood.exists():
        ood = read_examples(args.ood)
        out_of_distribution(ood)
        learning_curve(
            ood,
            weights=tuple(int(w) for w in args.officer_weights.split(",")),
            shuffles=(7, 11, 23, 31, 43)[: max(1, args.shuffles)],
        )
    speed()
    return overall


if __name__ == "__main__":
    main()
