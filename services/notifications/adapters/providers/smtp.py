"""Email over SMTP (``aiosmtplib``), with STARTTLS or implicit TLS and optional AUTH.

Our ``notification_id`` becomes the ``Message-ID`` (``<id@sender-domain>``). Every email
carries ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058, one click) besides the
link in its text.

Connections are kept open and reused (at most ``concurrency`` of them, one message at a time
on each): EHLO, STARTTLS and AUTH happen once per connection, not once per email. A reused
connection the server has closed in the meantime fails on ``MAIL FROM``, before any of the
message was handed over, so it is replaced and the message tried once more on a new one.
The message itself is written straight to bytes (:meth:`SmtpProvider.build`): the headers
are known and few, and the ``email`` package cost more than the rest of a send.

The honest limit of SMTP: after ``250 OK`` the server has the message, but SMTP offers no way
to ask "do you have Message-ID X?". If the service dies between that ``250`` and recording it,
or the connection drops while waiting for the ``250``, the outcome is unknown.
``NOTIFICATIONS_SMTP_LOOKUP_URL`` names a server that can answer (the local SMTP sink does, at
``GET /messages?message_id=``); without one, ``NOTIFICATIONS_SMTP_UNKNOWN_OUTCOME`` decides:

- ``resend`` (default, at-least-once): send again with the *same* Message-ID. The window is
  the few milliseconds between the server's ``250`` and our commit, so a repeat is rare, and
  mail systems that see the same Message-ID twice commonly show it once. An email that
  quietly never arrives would leave a carer waiting for help nobody knows they were told of.
- ``give-up`` (at-most-once): record ``technical-failure`` with the reason and publish
  ``notification.failed``, so staff can check and follow up by phone instead.

SMS goes through Notify, whose lookup by reference closes this gap completely.
"""

from __future__ import annotations

import asyncio
import binascii
import re
import ssl
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import Literal

import aiosmtplib
import httpx
from aiosmtplib.email import quote_address

from services.notifications.adapters.providers.base import (
    Accepted,
    LookupUnavailable,
    OutgoingMessage,
    ProviderError,
)
from services.notifications.domain.retry import SendFailure, smtp_failure

MAX_LINE = 998  # RFC 5322: octets per line, without the CRLF
FOLD_AT = 78


class SmtpProvider:
    """Email to an SMTP server, over a small pool of persistent connections."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        security: Literal["none", "starttls", "tls"] = "starttls",
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        timeout: float = 30.0,
        lookup_url: str | None = None,
        unknown_outcome: Literal["resend", "give-up"] = "resend",
        concurrency: int = 4,
    ) -> None:
        self._host, self._port, self._security = host, port, security
        self._credentials = (username, password or "") if username else None
        self._timeout = timeout
        name, self._envelope_from = parseaddr(sender)
        try:
            self._mail_from = quote_address(self._envelope_from).encode("utf-8")
        except ValueError as error:
            raise ValueError(f"SMTP sender {sender!r}: {error}") from error
        self._domain = self._envelope_from.rpartition("@")[2] or "carers.localhost"
        self._from_header = _header("From", formataddr((name, self._envelope_from), "utf-8"))
        self._tls = ssl.create_default_context(cafile=ca_file) if security != "none" else None
        self._lookup_url = lookup_url.rstrip("/") if lookup_url else None
        self.unknown_outcome = unknown_outcome
        self._slots = asyncio.Semaphore(concurrency)
        self._idle: list[aiosmtplib.SMTP] = []  # open connections not in use (last in, first out)
        self._http: httpx.AsyncClient | None = None

    def message_id(self, notification_id: str) -> str:
        return f"{notification_id}@{self._domain}"

    def build(self, message: OutgoingMessage) -> bytes:
        """The whole message (RFC 5322, MIME text/plain in UTF-8), lines ending in CRLF."""
        for value in (message.recipient, message.subject or "", message.unsubscribe_url or ""):
            if "\r" in value or "\n" in value:
                raise ProviderError(SendFailure("a header would contain a line break", False))
        if "@" not in message.recipient:
            raise ProviderError(SendFailure("the recipient is not an email address", False))
        recipient = message.recipient
        lines = [
            self._from_header,
            # An internationalised address goes as UTF-8 (SMTPUTF8): RFC 2047 cannot encode one.
            f"To: {recipient}" if not recipient.isascii() else _header("To", recipient),
            _header("Subject", message.subject or ""),
            "Date: " + formatdate(usegmt=True),
            f"Message-ID: <{self.message_id(message.notification_id)}>",
            "Auto-Submitted: auto-generated",
        ]
        if message.unsubscribe_url:
            lines.append(f"List-Unsubscribe: <{message.unsubscribe_url}>")
            lines.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        text = message.body.replace("\r\n", "\n").replace("\r", "\n")
        if not text.endswith("\n"):
            text += "\n"
        if text.isascii() and all(len(line) <= MAX_LINE for line in text.split("\n")):
            encoding, body = "7bit", text.encode("ascii")
        else:
            encoding = "quoted-printable"
            body = binascii.b2a_qp(text.encode("utf-8"), istext=True)
        lines += [
            "MIME-Version: 1.0",
            'Content-Type: text/plain; charset="utf-8"',
            f"Content-Transfer-Encoding: {encoding}",
        ]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        return head + body.replace(b"\n", b"\r\n")

    async def send(self, message: OutgoingMessage) -> Accepted:
        raw = self.build(message)
        recipient = message.recipient
        options = [] if recipient.isascii() else ["SMTPUTF8"]  # an internationalised address
        async with self._slots:
            connection = self._take()
            while True:
                fresh = connection is None
                if connection is None:
                    connection = await self._open()
                stage = "envelope"
                try:
                    await self._envelope(connection, recipient, options)
                    stage = "data"
                    await connection.data(raw)
                except ValueError as error:  # checked before anything went on the wire
                    self._idle.append(connection)
                    failure = SendFailure(f"SMTP: the address cannot be used: {error}", False)
                    raise ProviderError(failure) from error
                except aiosmtplib.SMTPResponseException as error:
                    if stage == "envelope" and not fresh and error.code == 421:
                        self._discard(connection)  # the server is closing it: use a new one
                        connection = None
                        continue
                    await self._reset(connection)
                    raise ProviderError(smtp_failure(error.code, _text(error.message))) from error
                except (aiosmtplib.SMTPException, OSError) as error:
                    self._discard(connection)
                    if stage == "envelope" and not fresh:
                        connection = None  # the server closed it while idle: nothing was sent
                        continue
                    # Cut off mid-conversation: the server may have queued it before our "250".
                    failure = SendFailure(
                        f"SMTP connection: {type(error).__name__}", True, uncertain=stage == "data"
                    )
                    raise ProviderError(failure) from error
                except BaseException:
                    self._discard(connection)  # cancelled mid-conversation: state unknown
                    raise
                self._idle.append(connection)
                return Accepted(self.message_id(message.notification_id))

    async def lookup(self, message: OutgoingMessage) -> Accepted | None:
        if self._lookup_url is None:
            raise LookupUnavailable("SMTP cannot be asked whether it has a message")
        message_id = self.message_id(message.notification_id)
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await self._http.get(
                f"{self._lookup_url}/messages", params={"message_id": message_id}
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            failure = SendFailure(f"lookup failed: {type(error).__name__}", True, uncertain=True)
            raise ProviderError(failure) from error
        return Accepted(message_id) if response.json() else None

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            try:
                await asyncio.wait_for(connection.quit(), 2)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                connection.close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- connections ---------------------------------------------------------------------------

    async def _envelope(
        self, connection: aiosmtplib.SMTP, recipient: str, options: list[str]
    ) -> None:
        """MAIL FROM and RCPT TO, as ``SMTP.mail``/``SMTP.rcpt`` send them, without parsing
        the (fixed) sender and a plain recipient again for every email."""
        extra = [option.encode("ascii") for option in options]
        answer = await connection.execute_command(b"MAIL", b"FROM:" + self._mail_from, *extra)
        if answer.code != 250:
            raise aiosmtplib.SMTPSenderRefused(answer.code, answer.message, self._envelope_from)
        answer = await connection.execute_command(b"RCPT", b"TO:" + _quoted(recipient))
        if answer.code not in (250, 251):
            raise aiosmtplib.SMTPRecipientRefused(answer.code, answer.message, recipient)

    def _take(self) -> aiosmtplib.SMTP | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.is_connected:
                return connection
            connection.close()
        return None

    async def _open(self) -> aiosmtplib.SMTP:
        """A new connection: TLS as configured, EHLO, AUTH. Nothing of a message is sent yet,
        so a failure here is retried later without a lookup."""
        connection = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            timeout=self._timeout,
            use_tls=self._security == "tls",
            start_tls=self._security == "starttls",
            tls_context=self._tls,
        )
        try:
            await connection.connect()
            if connection.is_ehlo_or_helo_needed:
                await connection.ehlo()
            if self._credentials is not None:
                await connection.login(*self._credentials)
        except (
            aiosmtplib.SMTPAuthenticationError,
            aiosmtplib.SMTPNotSupported,
            aiosmtplib.SMTPHeloError,
        ) as error:
            connection.close()
            # Our configuration, not the carer's address: keep the message and retry.
            raise ProviderError(SendFailure(f"SMTP set-up: {error}", retryable=True)) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            connection.close()
            failure = SendFailure(f"SMTP connection: {type(error).__name__}", True)
            raise ProviderError(failure) from error
        except BaseException:
            connection.close()
            raise
        return connection

    async def _reset(self, connection: aiosmtplib.SMTP) -> None:
        """After a refusal the connection is still good once the envelope is reset."""
        try:
            await connection.rset()
        except (aiosmtplib.SMTPException, OSError):
            self._discard(connection)
        else:
            self._idle.append(connection)

    def _discard(self, connection: aiosmtplib.SMTP) -> None:
        connection.close()


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _quoted(address: str) -> bytes:
    """``<address>`` for RCPT TO; anything but a plain address is quoted as aiosmtplib does
    (which refuses what SMTP cannot carry with a ValueError)."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>".encode("ascii")
    return quote_address(address).encode("utf-8")


def _header(name: str, value: str) -> str:
    """``Name: value``, RFC 2047-encoded when not ASCII, folded at spaces when long."""
    if not value.isascii():
        encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
        return f"{name}: {encoded}"
    line = f"{name}: {value}"
    if len(line) <= FOLD_AT:
        return line
    folded, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > FOLD_AT:
            folded.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    folded.append(current)
    return "\r\n".join(folded)


def _text(raw: bytes | str) -> str:
    return (raw.decode(errors="replace") if isinstance(raw, bytes) else raw)[:300]
