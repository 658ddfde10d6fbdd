"""Emails go over kept-open SMTP connections: one EHLO for many emails, and a connection the
server dropped or is closing while it sat idle is replaced without losing or repeating the
email (nothing of it had been sent)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.notifications.adapters.providers.base import OutgoingMessage, ProviderError
from services.notifications.adapters.providers.smtp import SmtpProvider


class TinySmtp:
    """Just enough SMTP: EHLO, MAIL, RCPT, DATA, RSET, QUIT. ``closing`` makes it answer the
    next MAIL with 421 and hang up, as a server going down or rationing connections does."""

    def __init__(self) -> None:
        self.connections = 0
        self.ehlos = 0
        self.messages: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.closing = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        writer.write(b"220 tiny ESMTP\r\n")
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    self.ehlos += 1
                    writer.write(b"250-tiny\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL" and self.closing:
                    self.closing = False
                    writer.write(b"421 4.3.2 closing connection\r\n")
                    await writer.drain()
                    writer.close()
                    return
                elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                    writer.write(b"250 OK\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    self.messages.append(await reader.readuntil(b"\r\n.\r\n"))
                    writer.write(b"250 queued\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    writer.close()
                    return
                else:
                    writer.write(b"502 no\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()


@pytest.fixture
async def tiny() -> AsyncIterator[tuple[TinySmtp, int]]:
    server = TinySmtp()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    yield server, listening.sockets[0].getsockname()[1]
    listening.close()


def _email(n: int) -> OutgoingMessage:
    return OutgoingMessage(f"id-{n}", "email", "sian@example.org", "Hello", f"Message {n}\n")


async def test_many_emails_share_one_connection_and_one_ehlo(tiny: tuple[TinySmtp, int]) -> None:
    server, port = tiny
    smtp = SmtpProvider(host="127.0.0.1", port=port, sender="a@example.org", security="none")
    for n in range(5):
        await smtp.send(_email(n))
    await smtp.close()
    assert (server.connections, server.ehlos, len(server.messages)) == (1, 1, 5)


async def test_a_connection_dropped_or_closing_while_idle_is_replaced(
    tiny: tuple[TinySmtp, int],
) -> None:
    server, port = tiny
    smtp = SmtpProvider(host="127.0.0.1", port=port, sender="a@example.org", security="none")
    await smtp.send(_email(1))
    for writer in server.writers:
        writer.close()  # the server's idle timeout
    await asyncio.sleep(0.05)
    await smtp.send(_email(2))
    server.closing = True  # the next MAIL on the kept connection is answered 421
    await smtp.send(_email(3))
    await smtp.close()
    assert server.connections == 3
    assert [m.count(b"Message ") for m in server.messages] == [1, 1, 1]  # each sent once


async def test_a_server_that_is_not_there_is_retried_later_without_a_lookup() -> None:
    listening = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    listening.close()
    await listening.wait_closed()
    smtp = SmtpProvider(host="127.0.0.1", port=port, sender="a@example.org", security="none")
    with pytest.raises(ProviderError) as failed:
        await smtp.send(_email(1))
    assert failed.value.failure.retryable and not failed.value.failure.uncertain
