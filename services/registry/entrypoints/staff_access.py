"""Who may open the registry's staff pages (the council's reviews, a GP's list), as pages.

The rules are ``shared.web.staff.require_staff``'s (bearer or staff cookie, CSRF on posts);
what differs is the answer a browser gets: without a token it is sent to the sign-in page
and back, and a refusal is a GOV.UK page (``refused.html``), not JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, status

from shared.auth import Principal
from shared.web.staff import require_staff, staff_principal


class PageRefused(Exception):
    """A signed-in member of staff may not use a staff page: a GOV.UK page says why (403)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code, self.message = status_code, message


def page_caller(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """``require_staff`` for pages: without a token the browser goes to the sign-in page
    (and comes back); a refusal is a page, not JSON. The rules are ``require_staff``'s."""
    check = require_staff(*roles)

    async def caller(request: Request) -> Principal:
        if staff_principal(request) is None and request.method == "GET":
            target = f"/staff/sign-in?next={quote(request.url.path)}"
            raise HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": target})
        try:
            return await check(request)
        except HTTPException as refused:
            if refused.status_code in (401, 403):
                raise PageRefused(refused.status_code, str(refused.detail)) from None
            raise

    return caller
