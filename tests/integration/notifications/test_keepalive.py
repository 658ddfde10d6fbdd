"""The small HTTP/1.1 client the Notify adapter uses: connections are reused, the answer is
read whichever way the server frames it, a connection the server closed while idle is
replaced, and any failure before a complete answer is "no answer" (outcome unknown)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from services.notifications.adapters.providers.keepalive import (
    HttpxClient,
    KeepAliveClient,
    NoAnswer,
    api_client,
)

Answer = Callable[[bytes], bytes | None]  # request head -> raw answer (None: hang up)


class Server:
    """A loopback HTTP server answering each request with ``answer``; counts connections."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                raw = self.answer(head)
                if raw is None:
                    writer.close()
                    return
                writer.write(raw)
                await writer.drain()
                if b"Connection: close" in raw or raw.startswith(b"HTTP/1.0"):
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


Serve = Callable[[Answer], Awaitable[tuple["Server", str]]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> tuple[Server, str]:
        server = Server(answer)
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        servers.append(listening)
        port = listening.sockets[0].getsockname()[1]
        return server, f"http://127.0.0.1:{port}"

    yield start
    for listening in servers:
        listening.close()


def _json(status: int, body: bytes = b'{"id": "n1"}', extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


async def test_requests_reuse_one_connection_and_carry_their_headers_and_body(serve: Serve) -> None:
    server, url = await serve(lambda head: _json(201))
    client = KeepAliveClient(url, timeout=2, size=2)
    for _ in range(3):
        status, body = await client.request(
            "POST", "/v2/notifications/sms", headers={"Authorization": "Bearer t"}, body=b"{}"
        )
        assert (status, body) == (201, b'{"id": "n1"}')
    status, _ = await client.request(
        "GET", "/v2/notifications", headers={}, params={"reference": "a b&c"}
    )
    await client.close()
    assert server.connections == 1
    first = server.requests[0].decode()
    assert first.startswith("POST /v2/notifications/sms HTTP/1.1\r\n")
    assert f"Host: {url.removeprefix('http://')}\r\n" in first
    assert "Authorization: Bearer t\r\n" in first and "Content-Length: 2\r\n" in first
    assert first.endswith("\r\n\r\n{}")
    assert server.requests[3].startswith(b"GET /v2/notifications?reference=a+b%26c HTTP/1.1")


async def test_chunked_and_close_delimited_answers_are_read_whole(serve: Serve) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4\r\n{"a"\r\n3\r\n: 1\r\n1;x=y\r\n}\r\n0\r\n\r\n'
    )
    server, url = await serve(lambda head: chunked)
    client = KeepAliveClient(url, timeout=2, size=1)
    assert await client.request("GET", "/", headers={}) == (200, b'{"a": 1}')
    assert await client.request("GET", "/", headers={}) == (200, b'{"a": 1}')
    assert server.connections == 1
    await client.close()

    old, url = await serve(lambda head: b'HTTP/1.0 200 OK\r\n\r\n{"old": true}')
    client = KeepAliveClient(url, timeout=2, size=1)
    assert await client.request("GET", "/", headers={}) == (200, b'{"old": true}')
    assert await client.request("GET", "/", headers={}) == (200, b'{"old": true}')
    assert old.connections == 2  # HTTP/1.0 without keep-alive: a new connection each time
    await client.close()


async def test_connection_close_is_honoured(serve: Serve) -> None:
    server, url = await serve(lambda head: _json(200, extra="Connection: close\r\n"))
    client = KeepAliveClient(url, timeout=2, size=1)
    for _ in range(2):
        assert (await client.request("GET", "/", headers={}))[0] == 200
    assert server.connections == 2
    await client.close()


async def test_a_connection_the_server_closed_while_idle_is_replaced(serve: Serve) -> None:
    server, url = await serve(lambda head: _json(201))
    client = KeepAliveClient(url, timeout=2, size=1)
    assert (await client.request("POST", "/", headers={}, body=b"{}"))[0] == 201
    for writer in server.writers:
        writer.close()  # the server's idle timeout
    await asyncio.sleep(0.05)
    assert (await client.request("POST", "/", headers={}, body=b"{}"))[0] == 201
    assert server.connections == 2 and len(server.requests) == 2
    await client.close()


async def test_connections_idle_too_long_are_not_reused(serve: Serve) -> None:
    server, url = await serve(lambda head: _json(201))
    client = KeepAliveClient(url, timeout=2, size=1, idle_seconds=0.01)
    await client.request("GET", "/", headers={})
    await asyncio.sleep(0.05)
    await client.request("GET", "/", headers={})
    assert server.connections == 2
    await client.close()


async def test_no_complete_answer_is_no_answer(serve: Serve) -> None:
    _, hang_up = await serve(lambda head: None)
    with pytest.raises(NoAnswer):
        await KeepAliveClient(hang_up, timeout=2, size=1).request("POST", "/", headers={})

    _, cut = await serve(lambda head: b"HTTP/1.1 201 Created\r\nContent-Length: 50\r\n\r\n{")
    with pytest.raises(NoAnswer):
        await KeepAliveClient(cut, timeout=0.3, size=1).request("POST", "/", headers={})

    _, garbage = await serve(lambda head: b"SMTP? 220 hello\r\n\r\n")
    with pytest.raises(NoAnswer):
        await KeepAliveClient(garbage, timeout=2, size=1).request("GET", "/", headers={})

    listening = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    listening.close()
    await listening.wait_closed()
    with pytest.raises(NoAnswer):  # refused: nothing listens
        await KeepAliveClient(f"http://127.0.0.1:{port}", timeout=2, size=1).request(
            "GET", "/", headers={}
        )


async def test_with_a_proxy_configured_requests_go_through_httpx_which_honours_it(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url = await serve(lambda head: _json(201))
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "")
    assert isinstance(api_client(url, timeout=2, size=1), HttpxClient)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert isinstance(api_client(url, timeout=2, size=1), KeepAliveClient)
    monkeypatch.delenv("HTTP_PROXY")
    client = HttpxClient(url, timeout=2, size=1)  # the same interface, the same answers
    status, body = await client.request(
        "POST", "/v2/notifications/sms", headers={"Authorization": "Bearer t"}, body=b"{}"
    )
    assert (status, body) == (201, b'{"id": "n1"}')
    await client.close()
    assert server.requests[0].startswith(b"POST /v2/notifications/sms HTTP/1.1")
