"""The provider port: hand a message over, or find out whether an earlier hand-over landed.

Every provider is given our ``notification_id`` as its reference and must be able to answer
"do you have the message with this reference?" (:meth:`Provider.lookup`), because that
question, asked after a crash or a timeout and before any resend, is what keeps a carer from
getting the same message twice. A provider that cannot answer raises
:class:`LookupUnavailable`, and its ``unknown_outcome`` says what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from services.notifications.domain.retry import SendFailure


@dataclass(frozen=True)
class OutgoingMessage:
    """A planned message, as the dispatcher hands it to a provider."""

    notification_id: str
    channel: str
    recipient: str
    subject: str | None
    body: str
    unsubscribe_url: str | None = None


@dataclass(frozen=True)
class Accepted:
    """The provider has the message: its own id for it, and its status if it told us."""

    provider_id: str
    status: str | None = None


class ProviderError(Exception):
    """The provider did not take the message; ``failure`` says whether to try again."""

    def __init__(self, failure: SendFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class LookupUnavailable(Exception):
    """This provider cannot say whether it has a message (plain SMTP cannot)."""


class Provider(Protocol):
    """An email or SMS provider."""

    name: str
    unknown_outcome: Literal["resend", "give-up"]

    async def send(self, message: OutgoingMessage) -> Accepted:
        """Hand the message over; raise :class:`ProviderError` if it was not taken."""
        ...

    async def lookup(self, message: OutgoingMessage) -> Accepted | None:
        """The message with our reference, if the provider has it; None if it has not."""
        ...

    async def close(self) -> None: ...
