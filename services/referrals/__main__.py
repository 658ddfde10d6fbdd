"""``python -m services.referrals [run|serve|migrate]``."""

from pathlib import Path

from services.referrals.bootstrap import bootstrap
from services.referrals.settings import ReferralsSettings
from shared.service_main import main

MIGRATIONS = Path(__file__).parent / "migrations"

if __name__ == "__main__":
    main("referrals", ReferralsSettings, lambda s: bootstrap(s).app, MIGRATIONS)
