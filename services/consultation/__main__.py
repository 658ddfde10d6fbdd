"""``python -m services.consultation [run|serve|migrate]``, and the officers' tools
``themes`` and ``import-csv`` (see ``entrypoints/cli.py``)."""

import sys
from pathlib import Path

from services.consultation.bootstrap import bootstrap
from services.consultation.settings import ConsultationSettings
from shared.service_main import main

MIGRATIONS = Path(__file__).parent / "migrations"
TOOLS = ("themes", "import-csv")

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in TOOLS:
        from services.consultation.entrypoints.cli import main as tools

        tools(sys.argv[1:])
    else:
        main("consultation", ConsultationSettings, lambda s: bootstrap(s).app, MIGRATIONS)
