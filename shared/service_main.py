"""The command every service answers to: ``python -m services.<name> [migrate|serve|run]``.

``migrate`` brings the service database to the latest schema (an explicit step, never on
import); ``serve`` runs the HTTP API and the Kafka consumers in one process; ``run`` (the
default) does both in that order.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import uvicorn

from shared.migrations import upgrade
from shared.settings import ServiceSettings
from shared.telemetry import setup_logging


def main(
    name: str,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: Callable[[Any], Any],
    migrations_dir: Path,
    argv: list[str] | None = None,
    commands: dict[str, Callable[[Any], Coroutine[Any, Any, str]]] | None = None,
) -> None:
    """``commands`` are the service's own operator commands: ``async (settings) -> summary``."""
    extra = commands or {}
    parser = argparse.ArgumentParser(prog=f"python -m services.{name}")
    parser.add_argument(
        "command", nargs="?", default="run", choices=["run", "serve", "migrate", *extra]
    )
    args = parser.parse_args(argv)
    settings = settings_factory()
    setup_logging(settings.log_level)
    log = logging.getLogger(name)
    if args.command in extra:
        print(asyncio.run(extra[args.command](settings)))
        return
    if args.command in ("run", "migrate"):
        upgrade(migrations_dir, settings.database_url)
        log.info("%s database migrated", name)
    if args.command in ("run", "serve"):
        app = app_factory(settings)
        uvicorn.run(
            app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False
        )
