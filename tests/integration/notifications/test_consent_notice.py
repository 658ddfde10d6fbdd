"""A carer is told, on their own channel and once only, whenever their consent is widened
(contract 6.2): the notice goes even when they have not agreed to be contacted about help."""

from __future__ import annotations

import pytest

from services.notifications.bootstrap import Notifications
from shared.devservers.notify_stub import NotifyStub
from shared.devservers.smtp_sink import SmtpSink
from shared.events import CloudEvent
from tests.harness import eventually
from tests.integration.notifications.conftest import wait_for_records
from tests.integration.notifications.events import (
    REGISTRY_SOURCE,
    new_carer_id,
    registered,
    send,
)

pytestmark = pytest.mark.kafka


def widened(carer_id: str, **changes: object) -> CloudEvent:
    """``consent.widened`` as the registry publishes it after the carer's ``carer.updated``."""
    data = {
        "carer_id": carer_id,
        "added_share_with": ["vasl"],
        "contact_added": False,
        "share_with": ["gp", "council", "vasl"],
        "contact": False,
        "recorded_by": {"kind": "vasl", "org_code": "VASL", "org_name": "VASL Market Harborough"},
        "on_behalf_of": "carer",
        "recorded_at": "2026-03-02T09:30:00Z",
        **changes,
    }
    return CloudEvent.new("consent.widened", REGISTRY_SOURCE, carer_id, data)


async def test_the_carer_is_told_once_even_without_consent_to_be_contacted(
    notifications: Notifications,
    kafka_bootstrap: str,
    namespace: str,
    smtp_sink: SmtpSink,
    notify_stub: NotifyStub,
) -> None:
    carer_id = new_carer_id()
    notice = widened(carer_id)
    replayed = notice.model_copy(update={"source": "urn:carers:registry-replay"})
    await send(
        kafka_bootstrap,
        namespace,
        registered(carer_id, contact=False, email="sian@example.org"),
        notice,
        notice,  # redelivered: the inbox stops it
        replayed,  # the same event by another road: the send record's key stops it
    )
    [row] = await wait_for_records(notifications, carer_id, "sent")
    assert row.template_id == "consent-widened" and row.channel == "email"

    async def mails() -> list:
        return smtp_sink.messages()

    [mail] = await eventually(mails)
    assert mail.rcpt_tos == ["sian@example.org"]
    assert mail.subject == "Who can see your information has changed"
    assert (
        "You agreed to share your information with Voluntary Action South Leicestershire "
        "(VASL). This was recorded by VASL Market Harborough on 2 March 2026." in mail.text
    )
    assert "If this is wrong, tell us: http://127.0.0.1:8001/self-service" in mail.text
    assert len(smtp_sink.messages()) == 1 and notify_stub.notifications("sms") == []


async def test_a_notice_before_the_carers_details_waits_for_them_and_easy_read_is_honoured(
    notifications: Notifications,
    kafka_bootstrap: str,
    namespace: str,
    notify_stub: NotifyStub,
) -> None:
    carer_id = new_carer_id()
    await send(kafka_bootstrap, namespace, widened(carer_id, contact_added=True))
    await wait_for_records(notifications, carer_id, "awaiting-contact")
    await send(
        kafka_bootstrap,
        namespace,
        registered(carer_id, channels=("sms",), easy_read=True, contact=False),
    )
    await wait_for_records(notifications, carer_id, "sent")

    async def texts() -> list:
        return notify_stub.notifications("sms")

    [text] = await eventually(texts)
    assert text.body.startswith(
        "You said we can share your information with Voluntary Action South Leicestershire. "
        "You said we can contact you. VASL Market Harborough wrote this down on 2 March 2026."
    )
