"""The local Notify and SMTP sink behave as the real services do where it matters to us."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from shared.devservers.notify_stub import SMS_TEMPLATE_ID, NotifyStub
from shared.devservers.smtp_sink import SmtpSink

OTHER_SECRET = "00000000-0000-4000-8000-000000000000"


def test_notify_refuses_a_key_for_another_service_or_with_the_wrong_secret(
    notify_stub: NotifyStub,
) -> None:
    wrong_secret = f"x-{notify_stub.service_id}-{OTHER_SECRET}"
    other_service = f"x-{OTHER_SECRET}-{notify_stub.api_key[-36:]}"
    for key in (wrong_secret, other_service):
        client = NotificationsAPIClient(key, base_url=notify_stub.base_url)
        with pytest.raises(HTTPError) as refused:
            client.get_all_notifications()
        assert refused.value.status_code == 403
    assert httpx.get(f"{notify_stub.base_url}/v2/notifications").status_code == 401


def test_notify_finds_a_message_by_reference_and_validates_what_it_is_sent(
    notify_stub: NotifyStub,
) -> None:
    client = NotificationsAPIClient(notify_stub.api_key, base_url=notify_stub.base_url)
    sent = client.send_sms_notification("07700900123", SMS_TEMPLATE_ID, {"body": "Hi"}, "ref-1")
    [found] = client.get_all_notifications(reference="ref-1")["notifications"]
    assert found["id"] == sent["id"] and found["body"] == "Hi"
    assert client.get_all_notifications(reference="ref-2")["notifications"] == []
    with pytest.raises(HTTPError) as refused:
        client.send_sms_notification("12345", SMS_TEMPLATE_ID, {"body": "Hi"})
    assert refused.value.status_code == 400


def test_notify_holds_its_rate_limit() -> None:
    with NotifyStub(rate_limit_per_minute=3, clock=lambda: 0.0) as stub:
        client = NotificationsAPIClient(stub.api_key, base_url=stub.base_url)
        for _ in range(3):
            client.send_sms_notification("07700900123", SMS_TEMPLATE_ID, {"body": "Hi"})
        with pytest.raises(HTTPError) as limited:
            client.send_sms_notification("07700900123", SMS_TEMPLATE_ID, {"body": "Hi"})
        assert limited.value.status_code == 429


def test_the_smtp_sink_insists_on_starttls_and_credentials_when_configured(
    secure_smtp_sink: SmtpSink, tls_certificate: tuple[Path, Path]
) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "Hi"
    message["Message-ID"] = "<m1@example.org>"
    message.set_content("Hello")
    with (
        smtplib.SMTP(secure_smtp_sink.host, secure_smtp_sink.smtp_port) as plain,
        pytest.raises(smtplib.SMTPException),
    ):
        plain.send_message(message)  # no STARTTLS: refused
    context = ssl.create_default_context(cafile=str(tls_certificate[0]))
    with smtplib.SMTP(secure_smtp_sink.host, secure_smtp_sink.smtp_port) as secure:
        secure.starttls(context=context)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            secure.login("carers", "wrong")
        secure.login("carers", "s3cret")
        secure.send_message(message)
    found = httpx.get(
        f"{secure_smtp_sink.http_url}/messages", params={"message_id": "m1@example.org"}
    )
    assert [m["subject"] for m in found.json()] == ["Hi"]
