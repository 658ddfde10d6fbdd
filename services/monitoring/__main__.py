"""``python -m services.monitoring [run|serve|migrate|rebuild]``."""

from pathlib import Path

from services.monitoring.bootstrap import bootstrap
from services.monitoring.entrypoints.cli import rebuild
from services.monitoring.settings import MonitoringSettings
from shared.service_main import main

MIGRATIONS = Path(__file__).parent / "migrations"

if __name__ == "__main__":
    main(
        "monitoring",
        MonitoringSettings,
        lambda s: bootstrap(s).app,
        MIGRATIONS,
        commands={"rebuild": rebuild},
    )
