"""Email over SMTP (``smtplib``), with STARTTLS or implicit TLS and optional AUTH.

Our ``notification_id`` becomes the ``Message-ID`` (``<id@sender-domain>``). Every email
carries ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 8058, one click) besides the
link in its text.

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
import smtplib
import ssl
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Literal

import httpx

from services.notifications.adapters.providers.base import (
    Accepted,
    LookupUnavailable,
    OutgoingMessage,
    ProviderError,
)
from services.notifications.domain.retry import SendFailure, smtp_failure


class SmtpProvider:
    """Email to an SMTP server."""

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
        self._sender, self._timeout = sender, timeout
        self._domain = parseaddr(sender)[1].rpartition("@")[2] or "carers.localhost"
        self._tls = ssl.create_default_context(cafile=ca_file) if security != "none" else None
        self._lookup_url = lookup_url.rstrip("/") if lookup_url else None
        self.unknown_outcome = unknown_outcome
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="smtp")

    def message_id(self, notification_id: str) -> str:
        return f"{notification_id}@{self._domain}"

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = f"<{self.message_id(message.notification_id)}>"
        email["Auto-Submitted"] = "auto-generated"
        if message.unsubscribe_url:
            email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(message.body)
        return email

    async def send(self, message: OutgoingMessage) -> Accepted:
        email = self.build(message)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._deliver, email)
        return Accepted(self.message_id(message.notification_id))

    async def lookup(self, message: OutgoingMessage) -> Accepted | None:
        if self._lookup_url is None:
            raise LookupUnavailable("SMTP cannot be asked whether it has a message")
        message_id = self.message_id(message.notification_id)
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(
                    f"{self._lookup_url}/messages", params={"message_id": message_id}
                )
                response.raise_for_status()
        except httpx.HTTPError as error:
            failure = SendFailure(f"lookup failed: {type(error).__name__}", True, uncertain=True)
            raise ProviderError(failure) from error
        return Accepted(message_id) if response.json() else None

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- on a worker thread ------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        if self._security == "tls":
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._tls
            )
        connection = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        try:
            if self._security == "starttls":
                connection.starttls(context=self._tls)
            return connection
        except BaseException:
            connection.close()
            raise

    def _deliver(self, email: EmailMessage) -> None:
        try:
            with self._connect() as connection:
                if self._credentials is not None:
                    connection.login(*self._credentials)
                connection.send_message(email)
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as error:
            # Our configuration, not the carer's address: keep the message and retry.
            raise ProviderError(SendFailure(f"SMTP set-up: {error}", retryable=True)) from error
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise ProviderError(smtp_failure(code, _text(text))) from error
        except smtplib.SMTPResponseException as error:
            raise ProviderError(smtp_failure(error.smtp_code, _text(error.smtp_error))) from error
        except (smtplib.SMTPException, OSError) as error:
            # Cut off mid-conversation: the server may have queued it before we heard "250".
            failure = SendFailure(f"SMTP connection: {type(error).__name__}", True, uncertain=True)
            raise ProviderError(failure) from error


def _text(raw: bytes | str) -> str:
    return (raw.decode(errors="replace") if isinstance(raw, bytes) else raw)[:300]
