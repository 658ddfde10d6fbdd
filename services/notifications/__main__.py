"""``python -m services.notifications [run|serve|migrate]``."""

from pathlib import Path

from services.notifications.bootstrap import bootstrap
from services.notifications.settings import NotificationsSettings
from shared.service_main import main

MIGRATIONS = Path(__file__).parent / "migrations"

if __name__ == "__main__":
    main("notifications", NotificationsSettings, lambda s: bootstrap(s).app, MIGRATIONS)
