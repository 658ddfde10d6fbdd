"""One-time sign-in codes reach the carer and nobody else (contract 6.5; issue 13).

Observed on main before issue 13: council staff read carers' live codes through
``GET /notifications`` (the stored message body), and the code was in the email's subject
line. Now the carer's email still carries the code, but no subject, no stored record, no
staff view and no log line does; and every read of the notifications is audited.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.notifications.bootstrap import Notifications
from shared import topics
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from shared.events import CloudEvent
from shared.settings import DEV_TOKEN_SECRET
from shared.signin_code import code_key, signin_code
from tests.harness import eventually, produce
from tests.integration.notifications.conftest import MORNING, api, staff_headers

pytestmark = pytest.mark.kafka
PROVIDER_LOGGERS = ("mail.log", "shared.devservers")


def _code_request(carer_id: str, channel: str, recipient: str) -> tuple[CloudEvent, str]:
    challenge = f"challenge-{carer_id}-{channel}-0123456789"
    body = {
        "carer_id": carer_id,
        "challenge_id": challenge,
        "channel": channel,
        "recipient": recipient,
        "given_name": "Priya",
        "easy_read": False,
        "expires_at": (MORNING + timedelta(minutes=10)).isoformat(),
    }
    envelope = CloudEvent.new("selfservice.code_requested", "urn:carers:registry", carer_id, body)
    return envelope, signin_code(code_key(DEV_TOKEN_SECRET), challenge)


async def test_the_code_reaches_the_carer_but_never_the_subject_the_records_staff_or_logs(
    notifications: Notifications,
    kafka_bootstrap: str,
    namespace: str,
    smtp_sink: SmtpSink,
    notify_stub: NotifyStub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    by_email, email_code = _code_request("carer-e", "email", "priya@example.org")
    by_text, text_code = _code_request("carer-s", "sms", "07700900456")
    topic = namespace + topics.SELFSERVICE
    await produce(kafka_bootstrap, topic, [by_email.to_bytes()], b"carer-e")
    await produce(kafka_bootstrap, topic, [by_text.to_bytes()], b"carer-s")

    async def mails() -> list:
        return smtp_sink.messages()

    async def texts() -> list:
        return notify_stub.notifications("sms")

    (mail,) = await eventually(mails, timeout=60)
    (text,) = await eventually(texts, timeout=60)
    assert email_code in mail.text and text_code in text.body, "the carer gets their code"
    assert email_code not in mail.subject and mail.subject == "Your code to check your support"

    async def recorded() -> list | None:
        """Both records once sent: the provider has a message before we record it."""
        async with notifications.runtime.sessions() as session:
            query = sa.text("SELECT * FROM notifications")
            rows = (await session.execute(query)).mappings().all()
        return list(rows) if {r["status"] for r in rows} == {"sent"} else None

    stored = await eventually(recorded, timeout=30)
    assert len(stored) == 2 and {r["status"] for r in stored} == {"sent"}
    for row in stored:
        every_value = " ".join(str(v) for v in row.values())
        assert email_code not in every_value and text_code not in every_value
        assert "[code hidden]" in row["body"]

    async with api(notifications) as client:
        seen = await client.get(
            "/notifications", params={"carer_id": "carer-e"}, headers=staff_headers()
        )
        listed = await client.get(
            "/notifications", params={"status": "sent"}, headers=staff_headers("admin")
        )
    assert seen.status_code == 200 and listed.status_code == 200
    assert email_code not in seen.text and text_code not in listed.text
    [record] = seen.json()
    assert "[code hidden]" in record["body"] and record["subject"] == mail.subject

    # Every log line of this process, except the mail server and Notify stand-ins (they are
    # the provider: they are meant to get the code).
    ours = [r for r in caplog.records if not r.name.startswith(PROVIDER_LOGGERS)]
    assert ours, "the service logged something at DEBUG"
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in ours)
    assert email_code not in logged and text_code not in logged

    async with notifications.unit_of_work() as uow:
        audit = await uow.audit_entries()
    assert [(e.role, e.org, e.action, e.carer_id, e.outcome) for e in audit] == [
        ("council", "LCC", "list_for_carer", "carer-e", "allowed"),
        ("admin", "LCC", "list_by_status", None, "allowed"),
    ]
    assert all(e.subject and e.at for e in audit)
