"""Officers' command-line tools, working offline on this machine.

``python -m services.consultation themes [--explain]`` reads JSON lines
``{"id", "question", "text"}`` on standard input and writes ``{"id", "themes": [...]}`` on
standard output (with ``"why"`` when ``--explain``): any batch of answers, from any source.
Extra fields: ``"confidence"`` (0 to 1) and ``"needs_person"`` (too close to call).

``python -m services.consultation themes retrain`` folds officers' corrections (JSON lines
``{"text", "themes"}`` in ``CONSULTATION_THEMES_CORRECTIONS``) into the learned examples
(``CONSULTATION_THEMES_LEARNED``) that the classifier trains on next time it starts.

``python -m services.consultation import-csv SLUG FILE --by NAME`` imports a Citizen Space
style export into the service's database (all rows or, if any is invalid, none).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import IO

from services.consultation.adapters.catalogue import (
    corrections_path,
    learned_examples,
    learned_path,
    shipped_classifier,
)
from services.consultation.domain.themes.learning import correction, fold_in


def theme_stream(source: IO[str], sink: IO[str], *, explain: bool = False, batch: int = 256) -> int:
    """Theme every JSON line of ``source``; returns how many lines were written."""
    classifier = shipped_classifier()
    written = 0
    pending: list[dict[str, object]] = []

    def flush() -> None:
        nonlocal written
        assignments = classifier.assign(
            [str(r.get("text") or "") for r in pending], explain=explain
        )
        for record, assignment in zip(pending, assignments, strict=True):
            out: dict[str, object] = {
                "id": record.get("id"),
                "themes": assignment.themes,
                "confidence": assignment.confidence,
                "needs_person": assignment.needs_person,
            }
            if explain:
                out["why"] = assignment.reasons
            sink.write(json.dumps(out, ensure_ascii=False) + "\n")
            written += 1
        pending.clear()

    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise SystemExit(f"line {number}: not valid JSON: {error}") from None
        if not isinstance(record, dict) or "id" not in record:
            raise SystemExit(f'line {number}: expected an object with "id" and "text"')
        pending.append(record)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return written


def retrain() -> dict[str, int]:
    """Fold the corrections into the learned examples; a bad line stops it, naming the line."""
    source = corrections_path()
    new = []
    if source.exists():
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                new.append(correction(json.loads(line)))
            except (ValueError, AttributeError) as error:
                raise SystemExit(f"{source}:{number}: {error}") from None
    before = learned_examples()
    learned = fold_in(before, new)
    target = learned_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as handle:
        for example in learned:
            row = {"text": example.text, "themes": sorted(example.themes)}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    shipped_classifier.cache_clear()
    return {"corrections": len(new), "learned_before": len(before), "learned": len(learned)}


async def _import(slug: str, text: str, by: str) -> dict[str, object]:
    """Store the rows; their events wait in the outbox until the service's relay runs."""
    from services.consultation.bootstrap import bootstrap
    from services.consultation.service_layer.handlers import import_responses

    service = bootstrap()
    consultation = service.web.consultations.get(slug)
    if consultation is None:
        raise SystemExit(f"no consultation {slug!r}")
    try:
        return await import_responses(
            service.unit_of_work(), consultation, text, by=by, now=service.web.clock.now()
        )
    finally:
        await service.runtime.engine.dispose()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.consultation")
    commands = parser.add_subparsers(dest="command", required=True)
    themes = commands.add_parser("themes", help="theme JSON lines from standard input")
    themes.add_argument("--explain", action="store_true", help="add the reasons for each theme")
    themes.add_argument(
        "action", nargs="?", choices=["retrain"], help="retrain: fold officers' corrections in"
    )
    imports = commands.add_parser("import-csv", help="import a Citizen Space style CSV export")
    imports.add_argument("slug")
    imports.add_argument("file", type=Path)
    imports.add_argument("--by", required=True, help="who is importing (kept with each response)")
    args = parser.parse_args(argv)
    if args.command == "themes" and args.action == "retrain":
        print(json.dumps(retrain()))
        return
    if args.command == "themes":
        theme_stream(sys.stdin, sys.stdout, explain=args.explain)
        return
    text = args.file.read_text(encoding="utf-8-sig")
    outcome = asyncio.run(_import(args.slug, text, args.by))
    print(json.dumps(outcome, indent=2))
    if outcome["problems"]:
        raise SystemExit(1)
