"""The Jinja2 environment for service pages, and a small renderer for FastAPI routes.

Templates extend ``layout.html`` (skip link, header with the service name, phase banner,
main landmark, footer) and import component macros from ``govuk/macros.html``. Autoescaping
is on for every template: answers typed by the public are shown back on several pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.web.assets import ASSET_PATH, SHARED_STATIC_PATH
from shared.web.csrf import csrf_token
from shared.web.forms import error_summary_items, errors_by_control

SHARED_TEMPLATES = Path(__file__).parent / "templates"


def make_environment(*template_dirs: Path, strict: bool = True) -> Environment:
    """An environment searching the service's ``template_dirs`` first, then the shared ones.

    ``strict`` makes a misspelt variable an error rather than an empty string, so a page
    that silently loses a question fails its tests instead.
    """
    env = Environment(
        loader=FileSystemLoader([*map(str, template_dirs), str(SHARED_TEMPLATES)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined if strict else Environment().undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        asset_path=ASSET_PATH,
        shared_static=SHARED_STATIC_PATH,
        summary_items=error_summary_items,
        errors_by_control=errors_by_control,
    )
    return env


class PageRenderer:
    """Renders a template into an :class:`HTMLResponse` with the layout's usual context.

    Every page gets ``service_name``, ``service_url``, ``navigation`` and a ``csrf_token``
    for its forms (which also sets the browser's CSRF cookie on the response).
    """

    def __init__(
        self,
        env: Environment,
        *,
        service_name: str,
        service_url: str = "/",
        secret: str,
        navigation: list[dict[str, str]] | None = None,
    ) -> None:
        self.env = env
        self.service_name = service_name
        self.service_url = service_url
        self.secret = secret
        self.navigation = navigation or []

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        response = HTMLResponse("", status_code=status_code, headers=dict(headers or {}))
        token = csrf_token(request, response, self.secret)
        path = request.url.path
        navigation = [
            {**item, "current": item["href"] == path or path.startswith(item["href"] + "/")}
            for item in self.navigation
        ]
        page = self.env.get_template(template).render(
            service_name=self.service_name,
            service_url=self.service_url,
            navigation=navigation,
            csrf_token=token,
            request_path=path,
            **(context or {}),
        )
        response.body = response.render(page)
        response.headers["content-length"] = str(len(response.body))
        return response
