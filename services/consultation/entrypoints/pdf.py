"""The HTML report as a PDF, offline, with WeasyPrint (needs Debian's pango libraries).

The page's own stylesheets and fonts are read from disk rather than fetched over HTTP:
``/assets/...`` from govuk-frontend's folder, ``/static/shared/...`` from shared/web. Any
other address is refused, so rendering a report can never reach outside the machine.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any

from shared.web.assets import ASSET_PATH, GOVUK_DIST, SHARED_STATIC, SHARED_STATIC_PATH

# govuk-frontend's media queries are screen-only; WeasyPrint says so once per rule.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

LOCAL = {ASSET_PATH + "/": GOVUK_DIST, SHARED_STATIC_PATH + "/": SHARED_STATIC}


def _local_file(url: str) -> Path | None:
    path = url.removeprefix("file://")
    for prefix, folder in LOCAL.items():
        if path.startswith(prefix):
            target = (folder / path[len(prefix) :]).resolve()
            if target.is_relative_to(folder.resolve()) and target.is_file():
                return target
    return None


def render_pdf(html: str) -> bytes:
    # Imported here: only the PDF needs WeasyPrint and pango.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFiles(URLFetcher):  # type: ignore[misc]
        """Serves the report's own assets from disk and refuses every other address."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            target = _local_file(url)
            if target is None:
                raise ValueError(f"{url}: the report only loads its own stylesheets and fonts")
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            return URLFetcherResponse(target.as_uri(), target.read_bytes(), {"Content-Type": kind})

    document = HTML(string=html, base_url="file:///", url_fetcher=LocalFiles())
    return document.write_pdf()  # type: ignore[no-any-return]
