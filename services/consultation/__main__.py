"""``python -m services.consultation [run|serve|migrate]``."""

from pathlib import Path

from services.consultation.bootstrap import bootstrap
from services.consultation.settings import ConsultationSettings
from shared.service_main import main

MIGRATIONS = Path(__file__).parent / "migrations"

if __name__ == "__main__":
    main("consultation", ConsultationSettings, lambda s: bootstrap(s).app, MIGRATIONS)
