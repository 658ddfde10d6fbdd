"""GOV.UK Notify through its official client (``notifications-python-client``).

The client is synchronous (requests), so calls run on a small thread pool, one client per
thread (the client is not thread-safe). Every call first takes a token from the bucket for
the API key (3,000 a minute by default), so email and SMS through one key share one limit.
Our ``notification_id`` goes as Notify's ``reference``; ``get_all_notifications(reference=)``
finds it again after a crash or a timeout.

Wording: the text is rendered from this service's own versioned templates and sent through a
pass-through Notify template per channel (content ``((body))``, subject ``((subject))``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from notifications_python_client.errors import APIError, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from services.notifications.adapters.clock import Clock
from services.notifications.adapters.providers.base import (
    Accepted,
    OutgoingMessage,
    ProviderError,
)
from services.notifications.domain.rate_limit import TokenBucket
from services.notifications.domain.retry import SendFailure, http_failure

T = TypeVar("T")


class NotifyProvider:
    """Email and/or SMS through one Notify API key."""

    name = "notify"
    unknown_outcome: Literal["resend", "give-up"] = "resend"  # never used: lookup works

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str,
        email_template_id: str | None,
        sms_template_id: str | None,
        clock: Clock,
        rate_per_minute: int = 3000,
        timeout: float = 10.0,
        concurrency: int = 8,
        sms_sender_id: str | None = None,
        email_reply_to_id: str | None = None,
    ) -> None:
        self._api_key, self._base_url, self._timeout = api_key, base_url, timeout
        self._templates = {"email": email_template_id, "sms": sms_template_id}
        self._sms_sender_id, self._reply_to = sms_sender_id, email_reply_to_id
        self._clock = clock
        self._bucket = (
            TokenBucket.per_minute(rate_per_minute, now=clock.monotonic())
            if rate_per_minute
            else None
        )
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="notify")
        self._local = threading.local()

    async def send(self, message: OutgoingMessage) -> Accepted:
        template_id = self._templates.get(message.channel)
        if not self._api_key or not template_id:
            failure = SendFailure(f"Notify is not configured for {message.channel}", True)
            raise ProviderError(failure)
        if message.channel == "sms":
            response = await self._call(
                lambda client: client.send_sms_notification(
                    phone_number=message.recipient,
                    template_id=template_id,
                    personalisation={"body": message.body},
                    reference=message.notification_id,
                    sms_sender_id=self._sms_sender_id,
                )
            )
        else:
            response = await self._call(
                lambda client: client.send_email_notification(
                    email_address=message.recipient,
                    template_id=template_id,
                    personalisation={"subject": message.subject or "", "body": message.body},
                    reference=message.notification_id,
                    email_reply_to_id=self._reply_to,
                    one_click_unsubscribe_url=message.unsubscribe_url,
                )
            )
        return Accepted(str(response["id"]))

    async def lookup(self, message: OutgoingMessage) -> Accepted | None:
        if not self._api_key:
            raise ProviderError(SendFailure("Notify is not configured", True, uncertain=True))
        response = await self._call(
            lambda client: client.get_all_notifications(reference=message.notification_id)
        )
        found = response.get("notifications") or []
        return Accepted(str(found[0]["id"]), found[0].get("status")) if found else None

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- internals ---------------------------------------------------------------------------

    def _client(self) -> NotificationsAPIClient:
        client = getattr(self._local, "client", None)
        if client is None:
            assert self._api_key is not None
            client = NotificationsAPIClient(
                self._api_key, base_url=self._base_url, timeout=self._timeout
            )
            self._local.client = client
        return client

    async def _call(self, request: Callable[[NotificationsAPIClient], T]) -> T:
        """Wait for a token, then make the request on a worker thread."""
        if self._bucket is not None:
            wait = self._bucket.reserve(self._clock.monotonic())
            if wait > 0:
                await self._clock.sleep(wait)
        loop = asyncio.get_running_loop()
        try:
            with self._clock.hold():
                return await loop.run_in_executor(self._executor, lambda: request(self._client()))
        except HTTPError as error:
            failure = http_failure(error.status_code, _message(error))
            if failure.rate_limited and self._bucket is not None:
                self._bucket.drain(self._clock.monotonic())
            raise ProviderError(failure) from error
        except APIError as error:  # a 2xx whose body was not JSON: it may have been taken
            raise ProviderError(
                SendFailure(f"unreadable answer: {_message(error)}", True, uncertain=True)
            ) from error


def _message(error: APIError) -> str:
    message: Any = error.message
    if isinstance(message, list):
        message = "; ".join(str(item.get("message", item)) for item in message)
    return str(message)[:300]
