"""The one internal event of carer self-service: a carer asked for a sign-in code.

``selfservice.code_requested`` travels on ``carers.selfservice.v1`` from the registry (which
checked who is asking) to notifications (which sends the message). It never carries the code:
both services derive it from ``challenge_id`` with a key only they hold
(:func:`shared.signin_code.signin_code`), so the topic, the registry's outbox and the dead
letters never hold a usable code. The topic is not for partners: Kafka ACLs let only the
registry write it and only notifications read it, and it keeps events for an hour.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from shared.events.outbound import _GuardedExtras


class SigninCodeRequested(_GuardedExtras):
    """Send the carer the code for ``challenge_id`` on ``channel`` to ``recipient``, once."""

    _forbidden_extras: ClassVar[frozenset[str]] = frozenset({"code", "otp", "code_hash"})

    carer_id: str = Field(min_length=1)
    challenge_id: str = Field(min_length=16)
    channel: Literal["email", "sms"]
    recipient: str = Field(min_length=3, max_length=320)
    given_name: str | None = None
    easy_read: bool = False
    language: str = "en"
    expires_at: AwareDatetime
