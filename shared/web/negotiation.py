"""What kind of caller a request comes from: a browser wanting a page, or an API client.

One answer for every service, so the same request gets a page from one service and JSON
from another never by accident (the referral team's pages, the consultation's forms, and
the staff cookie's CSRF rule all ask the same question).
"""

from __future__ import annotations

from starlette.requests import Request

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_form(request: Request) -> bool:
    """A browser's form post rather than an API call."""
    return request.headers.get("content-type", "").startswith(FORM_TYPES)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (or posting a form), rather than an API client."""
    if is_form(request):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept
