"""Serving govuk-frontend's compiled assets and the shared stylesheet.

govuk-frontend is an npm package pinned in ``web/package.json``; its compiled CSS refers to
fonts and images under ``/assets``, so that is where they are mounted. When the package has
not been installed the service still starts (APIs and health checks do not need it) and logs
how to install it; pages then render unstyled.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
GOVUK_DIST = REPO / "web" / "node_modules" / "govuk-frontend" / "dist" / "govuk"
SHARED_STATIC = Path(__file__).parent / "static"
ASSET_PATH = "/assets"
SHARED_STATIC_PATH = "/static/shared"


def govuk_frontend_installed(dist: Path = GOVUK_DIST) -> bool:
    return (dist / "govuk-frontend.min.css").is_file()


def mount_assets(app: FastAPI, dist: Path = GOVUK_DIST) -> None:
    """Mount govuk-frontend at ``/assets`` and the shared static files at ``/static/shared``."""
    if govuk_frontend_installed(dist):
        app.mount(ASSET_PATH, StaticFiles(directory=dist), name="govuk-frontend")
    else:
        log.warning(
            "govuk-frontend is not installed at %s: run `npm ci --prefix web`; "
            "pages will render without the GOV.UK Design System styles",
            dist,
        )
    app.mount(SHARED_STATIC_PATH, StaticFiles(directory=SHARED_STATIC), name="shared-static")
