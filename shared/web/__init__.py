"""Shared GOV.UK Design System plumbing for the project's public and staff web pages.

Any service that serves HTML uses the same pieces, so every page looks, reads and behaves
alike and passes the same accessibility checks:

- :func:`templating.make_environment`: a Jinja2 environment whose search path holds the
  service's own templates and then ``shared/web/templates`` (``layout.html`` and the
  ``govuk/macros.html`` component macros written after govuk-frontend's Nunjucks ones);
- :func:`assets.mount_assets`: serves govuk-frontend's compiled CSS, JS, fonts and images at
  ``/assets`` (from ``web/node_modules``, installed by ``npm ci --prefix web``) and this
  package's ``static/`` at ``/static/shared``;
- :mod:`csrf`: a signed double-submit token for forms posted from a browser;
- :mod:`forms`: field errors and the error summary's list, in the Design System's shape;
- :mod:`staff`: staff pages signed in with the same bearer tokens the API takes, carried in a
  cookie for browsers.

Service pages follow the Design System's rules for services that are not on GOV.UK: no
crown and no GDS Transport typeface (``static/carers.css`` sets Arial).
"""

from shared.web.assets import mount_assets
from shared.web.csrf import CsrfError, csrf_token, verify_csrf
from shared.web.forms import FieldError, error_summary_items, errors_by_control
from shared.web.templating import PageRenderer, make_environment

__all__ = [
    "CsrfError",
    "FieldError",
    "PageRenderer",
    "csrf_token",
    "error_summary_items",
    "errors_by_control",
    "make_environment",
    "mount_assets",
    "verify_csrf",
]
