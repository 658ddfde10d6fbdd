"""Sending carers their one-time sign-in codes for self-service (issue 7).

The registry publishes ``selfservice.code_requested`` on the internal ``carers.selfservice.v1``
with a challenge id, never the code; this service derives the code from it with the key both
services hold (``shared.signin_code``) and records the message like any other: a send record
unique per (event, template, carer), committed before the dispatcher calls the provider, so a
redelivered request never sends a second code. Unlike referral news, a code is sent at once
whatever the hour (the carer is waiting for it) and whatever their consent to be contacted
about support (they asked for it); it is not sent once it has expired.

The code itself is never stored (contract 6.5): the record holds the text with
``[code hidden]`` where the code goes and the challenge id it is derived from; the
dispatcher asks :meth:`SigninCodes.reveal` for the real text just before the provider call.
The subject line never carries the code (it shows in lock screens and mail lists).
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from services.notifications.adapters.template_files import load_templates
from services.notifications.domain.planning import Composed, Plan
from services.notifications.domain.secrets import CODE_WITHHELD, reveal
from services.notifications.domain.send_record import SendRecord, Status, idempotency_key
from services.notifications.domain.templates import PLACEHOLDER, TemplateSet
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.clock import Clock
from shared.events import CloudEvent
from shared.events.selfservice import SigninCodeRequested
from shared.messaging.tables import utcnow
from shared.signin_code import signin_code

TEMPLATE_ID = "signin-code"
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "signin_templates"
EVENT_TYPE = "selfservice.code_requested"
ACCEPTED: dict[str, Any] = {EVENT_TYPE: SigninCodeRequested}
EXPIRED = "the code expired before it could be sent"


def signin_templates() -> TemplateSet:
    templates = load_templates(TEMPLATES_DIR)
    problems = templates.problems([TEMPLATE_ID])
    problems = [p for p in problems if "_footer" not in p]  # codes carry no unsubscribe link
    problems += [
        f"{t.name}: the subject line must not show the code"
        for t in templates.templates.values()
        if t.id == TEMPLATE_ID and "code" in PLACEHOLDER.findall(t.subject or "")
    ]
    if problems:
        raise ValueError("sign-in templates: " + "; ".join(problems))
    return templates


@dataclass(frozen=True)
class SigninCodes:
    """Records one message per code request; the dispatcher sends it."""

    templates: TemplateSet
    key: bytes
    clock: Clock
    help_phone: str
    sender: str

    async def on_code_requested(
        self, envelope: CloudEvent, request: SigninCodeRequested, uow: NotificationsUnitOfWork
    ) -> None:
        key = idempotency_key(envelope.id, TEMPLATE_ID, request.carer_id)
        # Why: the inbox stops a redelivered (source, id); this stops a second code for the
        # same request however it arrives again (a replay of the topic, say).
        if await uow.sends.existing_keys([key]):
            return
        now = self.clock.now()
        record = SendRecord(
            notification_id=str(uuid.uuid4()),
            idempotency_key=key,
            carer_id=request.carer_id,
            event_id=envelope.id,
            event_type=envelope.type,
            template_id=TEMPLATE_ID,
            context=json.dumps({"event_type": envelope.type, "challenge_id": request.challenge_id}),
            created_at=utcnow(),  # when the row was written, as every record says
            updated_at=utcnow(),
        )
        record.plan(self._plan(request, now), now)
        await uow.sends.add([record])

    def _plan(self, request: SigninCodeRequested, now: datetime) -> Plan:
        """The code's message, to go at once, whatever the hour; not sent once expired."""
        if request.expires_at <= now:
            return Plan(Status.NOT_SENT, request.channel, reason=EXPIRED)
        template = self.templates.choose(
            TEMPLATE_ID, request.channel, request.language, request.easy_read
        )
        minutes = math.ceil((request.expires_at - now).total_seconds() / 60)
        subject, body = template.render(
            {
                "code": CODE_WITHHELD,
                "minutes": str(max(1, minutes)),
                "given_name": (request.given_name or "").strip() or "there",
                "help_phone": self.help_phone,
                "sender": self.sender,
            }
        )
        return Plan(
            Status.PENDING,
            request.channel,
            composed=Composed(template, subject, body),
            recipient=request.recipient,
            not_before=now,
        )

    def reveal(self, row: Any) -> tuple[str | None, str, str | None]:
        """(subject, body, the code) of a claimed record as the provider must get it.

        Only sign-in code records hold a withheld code; others pass through unchanged.
        """
        if row.template_id != TEMPLATE_ID:
            return row.subject, row.body, None
        challenge_id = json.loads(row.context or "{}").get("challenge_id")
        if not challenge_id:
            return row.subject, row.body, None
        code = signin_code(self.key, challenge_id)
        return row.subject, reveal(row.body, code), code
