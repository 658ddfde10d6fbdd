"""A small HTTP/1.1 client for one API host: kept-alive connections, one request at a time on
each, at most ``size`` of them.

Why not ``httpx`` (or ``requests``) for Notify: at thousands of sends a second their
per-request bookkeeping (connection-pool state machines, async-library detection, header
models, a readiness poll before each reuse) cost several times the request itself: about
1 ms of CPU a request against 0.1-0.2 ms here, measured against the local Notify. Notify's
API needs little of HTTP: small JSON requests, answers with ``Content-Length`` or chunked.

When an HTTP(S) proxy is configured in the environment (``HTTPS_PROXY`` ...) for the host,
:func:`api_client` returns an ``httpx`` client instead, which honours it as the official
Notify client (``requests``) would.

A connection the server closed while idle is noticed before reuse (the event loop has read
its end of stream) and replaced; connections idle longer than ``idle_seconds`` are not
reused, since servers close idle connections on their own schedule (uvicorn after 5 s).
Any failure before a complete answer raises :class:`NoAnswer`: the server may or may not
have acted on the request, which the caller must treat as unknown.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode, urlsplit

import httpx


class NoAnswer(Exception):
    """No complete answer came back (timeout, refused, cut off): the outcome is unknown."""


class ApiClient(Protocol):
    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """(status, body) of the answer; raises :class:`NoAnswer` when there was none."""
        ...

    async def close(self) -> None: ...


def api_client(base_url: str, *, timeout: float, size: int, idle_seconds: float = 4.0) -> ApiClient:
    """The kept-alive client for ``base_url``, or ``httpx`` when a proxy applies to it."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"  # paths are absolute, as the Notify client's
    proxies = urllib.request.getproxies()
    if proxies.get(parts.scheme) and not urllib.request.proxy_bypass(parts.hostname or ""):
        return HttpxClient(origin, timeout=timeout, size=size)
    return KeepAliveClient(origin, timeout=timeout, size=size, idle_seconds=idle_seconds)


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        self.writer.close()


class KeepAliveClient:
    """HTTP/1.1 to one origin (``http`` or ``https``) over kept-alive connections."""

    def __init__(
        self, base_url: str, *, timeout: float, size: int, idle_seconds: float = 4.0
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r}: not an http(s) URL")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        default_port = self._port == (443 if parts.scheme == "https" else 80)
        self._authority = parts.hostname if default_port else f"{parts.hostname}:{self._port}"
        if ":" in parts.hostname:  # IPv6 literal
            bracketed = f"[{parts.hostname}]"
            self._authority = bracketed if default_port else f"{bracketed}:{self._port}"
        self._tls = _tls_context() if parts.scheme == "https" else None
        self._timeout, self._idle_seconds = timeout, idle_seconds
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Connection] = []

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        target = f"{path}?{urlencode(params)}" if params else path
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._authority}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        async with self._slots:
            connection = self._take()
            try:
                async with asyncio.timeout(self._timeout):
                    if connection is None:
                        connection = await self._open()
                    connection.writer.write(head + body if body else head)
                    status, answer, keep = await _read_response(connection.reader, method)
            except BaseException as error:
                if connection is not None:
                    connection.close()
                if isinstance(error, (OSError, EOFError, ValueError, TimeoutError)):
                    raise NoAnswer(type(error).__name__) from error
                raise
            if keep:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return status, answer

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _take(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the least likely stale
            if (
                now - connection.idle_since < self._idle_seconds
                and not connection.reader.at_eof()
                and not connection.writer.is_closing()
            ):
                return connection
            connection.close()
        return None

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(
            self._host,
            self._port,
            ssl=self._tls,
            server_hostname=self._host if self._tls is not None else None,
        )
        return _Connection(reader, writer)


async def _read_response(reader: asyncio.StreamReader, method: str) -> tuple[int, bytes, bool]:
    """(status, body, whether the connection may be reused). Interim 1xx answers skipped."""
    while True:
        status_line = await reader.readline()
        if not status_line:
            raise EOFError("the connection closed before an answer")
        version, _, rest = status_line.decode("latin-1").partition(" ")
        if not version.startswith("HTTP/"):
            raise ValueError(f"not an HTTP answer: {status_line[:40]!r}")
        status = int(rest[:3])
        length: int | None = None
        chunked = close = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise EOFError("the connection closed within the headers")
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = value.endswith("chunked")
            elif name == "connection":
                close = "close" in value
        if not 100 <= status < 200:
            break
    keep = version == "HTTP/1.1" and not close
    if method == "HEAD" or status in (204, 304):
        return status, b"", keep
    if chunked:
        parts = []
        while True:
            size = int((await reader.readline()).split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, b"".join(parts), keep
    if length is not None:
        return status, await reader.readexactly(length), keep
    return status, await reader.read(), False  # to the end of the stream


def _tls_context() -> ssl.SSLContext:
    """Certificates as ``requests`` checks them (certifi's bundle), else the system's."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx and requests
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class HttpxClient:
    """The same interface over ``httpx`` (used when a proxy must be honoured)."""

    def __init__(self, base_url: str, *, timeout: float, size: int) -> None:
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        try:
            response = await self._client.request(
                method, path, content=body, params=params, headers=dict(headers)
            )
        except httpx.HTTPError as error:
            raise NoAnswer(type(error).__name__) from error
        return response.status_code, response.content

    async def close(self) -> None:
        await self._client.aclose()
