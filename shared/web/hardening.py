"""Web hardening every service's app gets from :func:`shared.runtime.http_app`.

Why: the services take bodies from partners and from the public, and serve pages to staff
who are signed in with a cookie. Tried as an attacker would, a 50,000-deep JSON array, a
lone surrogate in a name or an 8 MB body reached the parsers and came back as 500s, and no
page said where it may be framed or which scripts may run. One ASGI middleware, in front of
every route, answers those before any route sees them:

- the body is read here, counting the bytes as they stream in, so neither a false
  ``Content-Length`` nor a chunked upload gets past the limit (413, ``HTTP_MAX_BODY_BYTES``);
- a body nested deeper than ``HTTP_MAX_JSON_DEPTH`` is answered 422 naming the body, before
  any recursive parser meets it; a JSON string holding a lone surrogate (which no database
  or Kafka producer can encode) is answered 422 naming the field;
- every response carries Content-Security-Policy (self only; the one inline script of the
  GOV.UK page template is allowed by its hash), X-Content-Type-Options, frame denial and
  Referrer-Policy.

The checks cost one pass of C-level byte counting on an ordinary body; the careful scans
run only when the cheap count says the body could be at fault.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_LAYOUT = Path(__file__).parent / "templates" / "layout.html"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
# Swagger UI and ReDoc (FastAPI's /docs and /redoc) load their scripts from a CDN.
_DOC_PATHS = ("/docs", "/redoc")
_DOC_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; frame-ancestors 'none'"
)
_FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_JSON_SYNTAX = re.compile(rb'[\[\]{}"\\]')
_BACKSLASH, _QUOTE = ord("\\"), ord('"')
_OPENERS, _CLOSERS = (ord("["), ord("{")), (ord("]"), ord("}"))


def inline_script_hashes(layout: Path = _LAYOUT) -> list[str]:
    """CSP sources for the page template's inline scripts (GOV.UK's ``js-enabled`` line)."""
    scripts = _INLINE_SCRIPT.findall(layout.read_text(encoding="utf-8"))
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    ]


def content_security_policy() -> str:
    """Self only: GOV.UK Frontend's assets are served by the service itself."""
    scripts = " ".join(["'self'", *inline_script_hashes()])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether brackets outside JSON strings nest deeper than ``limit``.

    The cheap count settles ordinary bodies; only a body with more brackets than the limit
    is scanned, bracket by bracket, skipping string contents.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    skip_to = -1  # after a backslash in a string, the escaped character is not syntax
    for match in _JSON_SYNTAX.finditer(body):
        at = match.start()
        if at < skip_to:
            continue
        char = body[at]
        if in_string:
            if char == _BACKSLASH:
                skip_to = at + 2
            elif char == _QUOTE:
                in_string = False
        elif char == _QUOTE:
            in_string = True
        elif char in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif char in _CLOSERS:
            depth -= 1
    return False


def lone_surrogate_path(body: bytes) -> list[str | int] | None:
    """The path of a JSON string holding an unpaired surrogate, or None.

    Such a string parses in Python but cannot be encoded as UTF-8, so it would fail later,
    in the database or the Kafka producer, as a 500. Parsed only when an escaped surrogate
    appears at all.
    """
    if not _ESCAPED_SURROGATE.search(body):
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the route's own parser names the problem

    def find(node: Any, path: list[str | int]) -> list[str | int] | None:
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return path
            return None
        if isinstance(node, dict):
            for key, value in node.items():
                found = find(key, path) or find(value, [*path, key])
                if found is not None:
                    return found
        if isinstance(node, list):
            for index, value in enumerate(node):
                found = find(value, [*path, index])
                if found is not None:
                    return found
        return None

    return find(document, [])


class HardeningMiddleware:
    """Security headers on every response; body size, nesting and encoding checked first."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.csp = content_security_policy().encode()
        self.fixed = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = _DOC_CSP.encode() if path.startswith(_DOC_PATHS) else self.csp

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp))
                headers.extend(h for h in self.fixed if h[0] not in present)
                message["headers"] = headers
            await send(message)

        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send_with_headers)
            return
        body, refusal = await self._read(scope, receive)
        if refusal is not None:
            await _problem(send_with_headers, *refusal)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # http.disconnect, when the client goes away

        await self.app(scope, replay, send_with_headers)

    async def _read(
        self, scope: Scope, receive: Receive
    ) -> tuple[bytes, tuple[int, list[Any], str] | None]:
        """The whole body, or why it is refused: (status, loc, message)."""
        headers = dict(scope.get("headers", []))
        limit = self.max_body_bytes
        too_large = (413, ["body"], f"the request body is larger than {limit} bytes")
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return b"", too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if not body or headers.get(b"content-type", b"").lower().startswith(_FORM_TYPES):
            return body, None
        if json_depth_exceeds(body, self.max_json_depth):
            return body, (
                422,
                ["body"],
                f"the body is nested more than {self.max_json_depth} levels deep",
            )
        where = lone_surrogate_path(body)
        if where is not None:
            return body, (
                422,
                ["body", *where],
                "text holds an unpaired surrogate (\\ud800-\\udfff), which is not a character",
            )
        return body, None


async def _problem(send: Send, status: int, loc: list[Any], message: str) -> None:
    """A FastAPI-shaped error: ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``."""
    kind = "too_large" if status == 413 else "invalid"
    payload = json.dumps({"detail": [{"loc": loc, "msg": message, "type": kind}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def harden(app: Any, settings: Any) -> None:
    """Put the middleware in front of ``app`` and turn decoding failures into 422s.

    The handlers are the last line: a parser that still meets a recursion it cannot finish,
    or text it cannot encode, answers 422 naming the body rather than 500.
    """
    from fastapi import Request
    from fastapi.responses import JSONResponse

    async def undecodable(_request: Request, error: Exception) -> JSONResponse:
        reason = (
            "the body is nested too deeply"
            if isinstance(error, RecursionError)
            else "the body holds text that is not valid Unicode"
        )
        detail = [{"loc": ["body"], "msg": reason, "type": "invalid"}]
        return JSONResponse({"detail": detail}, status_code=422)

    app.add_exception_handler(RecursionError, undecodable)
    app.add_exception_handler(UnicodeError, undecodable)
    app.add_middleware(
        HardeningMiddleware,
        max_body_bytes=settings.http_max_body_bytes,
        max_json_depth=settings.http_max_json_depth,
    )
