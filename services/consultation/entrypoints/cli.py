"""Officers' command-line tools, working offline on this machine.

``python -m services.consultation themes [--explain]`` reads JSON lines
``{"id", "question", "text"}`` on standard input and writes ``{"id", "themes": [...]}`` on
standard output (with ``"why"`` when ``--explain``): any batch of answers, from any source.
Extra fields: ``"confidence"`` (0 to 1) and ``"needs_person"`` (too close to call).

``python -m services.consultation themes retrain`` folds officers' corrections, kept in the
service's database (``CONSULTATION_DATABASE_URL``) and, if there is one, the corrections file
of old (JSON lines ``{"text", "themes"}`` in ``CONSULTATION_THEMES_CORRECTIONS``), into the
learned examples (``CONSULTATION_THEMES_LEARNED``) that the classifier trains on next time it
starts; it prints the counts as JSON.

``python -m services.consultation themes model`` builds the contextual model's graph if it is
not built yet (``scripts/bootstrap`` runs it) and prints which sentence model is in use, as
JSON, with the reason when it is the static fallback.

Both reach the classifier and the database through the composition root (``bootstrap``),
never an adapter directly.

``python -m services.consultation import-csv SLUG FILE --by NAME`` imports a Citizen Space
style export into the service's database (all rows or, if any is invalid, none).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from services.consultation.domain.themes.classifier import ThemeClassifier
from services.consultation.domain.themes.learning import InvalidCorrection, distinct_neighbours
from services.consultation.service_layer import theming

if TYPE_CHECKING:
    from services.consultation.bootstrap import ConsultationService


def _service() -> ConsultationService:
    """The service as configured by its settings (nothing is started: no broker, no relay)."""
    from services.consultation.bootstrap import bootstrap

    return bootstrap()


def theme_stream(
    source: IO[str],
    sink: IO[str],
    *,
    explain: bool = False,
    batch: int = 256,
    classifier: ThemeClassifier | None = None,
) -> int:
    """Theme every JSON line of ``source``; returns how many lines were written."""
    if classifier is None:
        classifier = _service().web.classifier()
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
                out["why"] = {t: distinct_neighbours(r) for t, r in assignment.reasons.items()}
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


def sentence_model() -> dict[str, object]:
    """Which sentence model themes answers here, its graph built if it was not (bootstrap)."""
    from services.consultation.bootstrap import sentence_model as chosen

    model = chosen()
    graph = getattr(model.encoder, "path", None)
    return {
        "model": model.name,
        "semantic_share": model.semantic_share,
        "graph": str(graph) if graph else None,
        "why": model.why or None,
    }


def retrain() -> dict[str, int]:
    """Fold officers' corrections into the learned examples; a bad line of the old
    corrections file stops it, naming the line."""

    async def run() -> dict[str, int]:
        service = _service()
        try:
            return await theming.retrain(service.unit_of_work(), now=service.web.clock.now())
        except DBAPIError as error:
            raise SystemExit(
                f"cannot read the corrections from {service.settings.database_url}: "
                f"{error.orig} (has 'python -m services.consultation migrate' been run?)"
            ) from None
        finally:
            await service.runtime.engine.dispose()

    try:
        return asyncio.run(run())
    except InvalidCorrection as error:
        raise SystemExit(str(error)) from None


async def _import(slug: str, text: str, by: str) -> dict[str, object]:
    """Store the rows; their events wait in the outbox until the service's relay runs."""
    from services.consultation.service_layer.handlers import import_responses

    service = _service()
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
        "action",
        nargs="?",
        choices=["retrain", "model"],
        help="retrain: fold officers' corrections in; model: build and name the sentence model",
    )
    imports = commands.add_parser("import-csv", help="import a Citizen Space style CSV export")
    imports.add_argument("slug")
    imports.add_argument("file", type=Path)
    imports.add_argument("--by", required=True, help="who is importing (kept with each response)")
    args = parser.parse_args(argv)
    if args.command == "themes" and args.action == "retrain":
        print(json.dumps(retrain()))
        return
    if args.command == "themes" and args.action == "model":
        print(json.dumps(sentence_model()))
        return
    if args.command == "themes":
        theme_stream(sys.stdin, sys.stdout, explain=args.explain)
        return
    text = args.file.read_text(encoding="utf-8-sig")
    outcome = asyncio.run(_import(args.slug, text, args.by))
    print(json.dumps(outcome, indent=2))
    if outcome["problems"]:
        raise SystemExit(1)
