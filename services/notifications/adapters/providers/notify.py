"""GOV.UK Notify over its REST API, asynchronously, on kept-alive connections.

Requests are exactly those of the official ``notifications-python-client``: the same paths
under ``NOTIFY_BASE_URL``, the same JSON bodies, and ``Authorization: Bearer <JWT>`` signed
HS256 with the key's secret, ``iss`` the service id and ``iat`` now (the client library's
``create_jwt_token`` makes it). The library itself is synchronous (``requests``, one new
token and a CA-bundle check per call, so a thread pool to get any concurrency); here a small
HTTP/1.1 client (:mod:`.keepalive`) keeps up to ``concurrency`` connections open and reuses
them, and a token is reused within the second it was made (its ``iat`` would be the same).

Every call first takes a token from the bucket for the API key (3,000 a minute by default),
so email and SMS through one key share one limit. Our ``notification_id`` goes as Notify's
``reference``; ``GET /v2/notifications?reference=`` finds it again after a crash or a timeout.

Errors are read as the client library reads them: a non-2xx answer's ``message`` (or its
``errors`` list) with its status; no answer at all (a timeout, a dropped connection) counts as
a 503, which may have been accepted, so it is looked up before any resend.

Wording: the text is rendered from this service's own versioned templates and sent through a
pass-through Notify template per channel (content ``((body))``, subject ``((subject))``).
"""

from __future__ import annotations

import time
from typing import Any, Literal

import orjson
from notifications_python_client import __version__ as client_version
from notifications_python_client.authentication import create_jwt_token

from services.notifications.adapters.providers.base import (
    Accepted,
    OutgoingMessage,
    ProviderError,
)
from services.notifications.adapters.providers.keepalive import ApiClient, NoAnswer, api_client
from services.notifications.domain.rate_limit import TokenBucket
from services.notifications.domain.retry import SendFailure, http_failure
from shared.clock import Clock

NO_ANSWER = 503  # what the client library reports when no response came back at all
USER_AGENT = f"carers-connect-notifications (notifications-python-client/{client_version})"


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
        self._api_key, self._timeout = api_key, timeout
        # As the client library splits a key: "<name>-<service id>-<secret>".
        self._service_id = api_key[-73:-37] if api_key else ""
        self._secret = api_key[-36:] if api_key else ""
        self._base_url = base_url
        self._templates = {"email": email_template_id, "sms": sms_template_id}
        self._sms_sender_id, self._reply_to = sms_sender_id, email_reply_to_id
        self._clock = clock
        self._bucket = (
            TokenBucket.per_minute(rate_per_minute, now=clock.monotonic())
            if rate_per_minute
            else None
        )
        self._concurrency = concurrency
        self._http: ApiClient | None = None
        self._token: tuple[int, str] = (0, "")

    async def send(self, message: OutgoingMessage) -> Accepted:
        template_id = self._templates.get(message.channel)
        if not self._api_key or not template_id:
            failure = SendFailure(f"Notify is not configured for {message.channel}", True)
            raise ProviderError(failure)
        notification: dict[str, Any]
        if message.channel == "sms":
            notification = {"phone_number": message.recipient, "template_id": template_id}
            notification["personalisation"] = {"body": message.body}
            notification["reference"] = message.notification_id
            if self._sms_sender_id:
                notification["sms_sender_id"] = self._sms_sender_id
        else:
            notification = {"email_address": message.recipient, "template_id": template_id}
            notification["personalisation"] = {
                "subject": message.subject or "",
                "body": message.body,
            }
            notification["reference"] = message.notification_id
            if self._reply_to:
                notification["email_reply_to_id"] = self._reply_to
            if message.unsubscribe_url:
                notification["one_click_unsubscribe_url"] = message.unsubscribe_url
        path = "/v2/notifications/sms" if message.channel == "sms" else "/v2/notifications/email"
        response = await self._call("POST", path, body=orjson.dumps(notification))
        if not response.get("id"):  # taken, perhaps, but with no id we cannot know
            raise ProviderError(SendFailure("unreadable answer: no id", True, uncertain=True))
        return Accepted(str(response["id"]))

    async def lookup(self, message: OutgoingMessage) -> Accepted | None:
        if not self._api_key:
            raise ProviderError(SendFailure("Notify is not configured", True, uncertain=True))
        response = await self._call(
            "GET", "/v2/notifications", params={"reference": message.notification_id}
        )
        found = response.get("notifications") or []
        return Accepted(str(found[0]["id"]), found[0].get("status")) if found else None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- internals ---------------------------------------------------------------------------

    def _client(self) -> ApiClient:
        if self._http is None:  # made on first use, inside the running event loop
            self._http = api_client(self._base_url, timeout=self._timeout, size=self._concurrency)
        return self._http

    def _bearer(self) -> str:
        """A Notify JWT; the same one for every request within one second of ``iat``."""
        now = int(time.time())
        issued, token = self._token
        if issued != now or not token:
            token = create_jwt_token(self._secret, self._service_id)
            self._token = (now, token)
        return token

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Wait for a token, then make the request on a kept-alive connection."""
        if self._bucket is not None:
            wait = self._bucket.reserve(self._clock.monotonic())
            if wait > 0:
                await self._clock.sleep(wait)
        headers = {
            "Content-type": "application/json",
            "Authorization": f"Bearer {self._bearer()}",
            "User-agent": USER_AGENT,
        }
        with self._clock.hold():
            try:
                status, content = await self._client().request(
                    method, path, headers=headers, body=body, params=params
                )
            except NoAnswer as error:  # no answer: it may still have been taken
                raise ProviderError(http_failure(NO_ANSWER, f"Request failed: {error}")) from error
        if not 200 <= status < 300:
            failure = http_failure(status, _message(content))
            if failure.rate_limited and self._bucket is not None:
                self._bucket.drain(self._clock.monotonic())
            raise ProviderError(failure)
        try:
            answer = orjson.loads(content)
        except orjson.JSONDecodeError as error:  # a 2xx whose body was not JSON: maybe taken
            raise ProviderError(
                SendFailure("unreadable answer: not JSON", True, uncertain=True)
            ) from error
        if not isinstance(answer, dict):
            raise ProviderError(SendFailure("unreadable answer: not an object", True, True))
        return answer


def _message(content: bytes) -> str:
    """The error's text as the client library gives it: ``message``, else ``errors``."""
    try:
        body = orjson.loads(content)
        message: Any = body.get("message", body.get("errors"))
    except (orjson.JSONDecodeError, AttributeError):
        message = "Request failed"
    if isinstance(message, list):
        message = "; ".join(
            str(item.get("message", item)) if isinstance(item, dict) else str(item)
            for item in message
        )
    return str(message)[:300]
