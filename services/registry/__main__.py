"""``python -m services.registry [run|serve|migrate]``."""

from pathlib import Path

from services.registry.bootstrap import bootstrap
from services.registry.settings import RegistrySettings
from shared.service_main import main

MIGRATIONS = Path(__file__).parent / "migrations"

if __name__ == "__main__":
    main("registry", RegistrySettings, lambda s: bootstrap(s).app, MIGRATIONS)
