"""The email the SMTP adapter writes by hand reads back, through Python's own MIME parser, as
the message it was given: headers, Welsh and other non-ASCII text, long lines, and no way
for a value to smuggle in a header of its own."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

import pytest

from services.notifications.adapters.providers.base import OutgoingMessage, ProviderError
from services.notifications.adapters.providers.smtp import SmtpProvider


def _provider(sender: str = "Leicestershire County Council <carers.connect@example.org>") -> Any:
    return SmtpProvider(host="127.0.0.1", port=25, sender=sender, security="none")


def _message(**overrides: object) -> OutgoingMessage:
    values: dict[str, object] = {
        "notification_id": "2b1c7c36-0a2b-4d0c-9b59-8f5f4b7a1e01",
        "channel": "email",
        "recipient": "sian@example.org",
        "subject": "We have passed on your details so you can get help",
        "body": "Hello Siân,\n\nWe have passed your details to VASL.\n",
        "unsubscribe_url": "https://carers.example/unsubscribe/c1.0123456789abcdef",
    }
    return OutgoingMessage(**(values | overrides))  # type: ignore[arg-type]


def _text(parsed: EmailMessage) -> str:
    return str(parsed.get_content()).replace("\r\n", "\n")  # the parser keeps CRLF line ends


def _parse(raw: bytes) -> EmailMessage:
    assert all(line.endswith(b"\r") for line in raw.split(b"\n")[:-1]), "every line ends CRLF"
    assert all(len(line) <= 1000 for line in raw.split(b"\r\n"))
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_an_email_reads_back_with_every_header_and_its_text() -> None:
    raw = _provider().build(_message())
    parsed = _parse(raw)

    assert parsed["From"] == "Leicestershire County Council <carers.connect@example.org>"
    assert parsed["To"] == "sian@example.org"
    assert parsed["Subject"] == "We have passed on your details so you can get help"
    assert parsed["Message-ID"] == "<2b1c7c36-0a2b-4d0c-9b59-8f5f4b7a1e01@example.org>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["List-Unsubscribe"] == "<https://carers.example/unsubscribe/c1.0123456789abcdef>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Date"] is not None
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert _text(parsed) == "Hello Siân,\n\nWe have passed your details to VASL.\n"


def test_plain_ascii_text_goes_as_it_is_and_non_ascii_as_quoted_printable() -> None:
    ascii_raw = _provider().build(_message(body="Hello Sian,\n\nSee you soon.\n"))
    assert b"Content-Transfer-Encoding: 7bit" in ascii_raw
    assert ascii_raw.endswith(b"\r\n\r\nHello Sian,\r\n\r\nSee you soon.\r\n")
    welsh = "Annwyl Siân,\n\nRydym wedi rhannu eich manylion â VASL. Diolch yn fawr.\n"
    parsed = _parse(_provider().build(_message(body=welsh)))
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    assert _text(parsed) == welsh


def test_long_lines_trailing_spaces_and_leading_dots_survive() -> None:
    body = ("word " * 400).strip() + "\n.\n.hidden\ntrailing space \nno newline at the end"
    parsed = _parse(_provider().build(_message(body=body)))
    assert _text(parsed) == body + "\n"


def test_non_ascii_and_long_subjects_and_senders_are_encoded_and_folded() -> None:
    subject = "Rydym wedi rhannu eich manylion â VASL er mwyn i chi gael help gan ofalwyr lleol"
    parsed = _parse(
        _provider("Cyngor Sir Caerlŷr <gofal@example.org>").build(_message(subject=subject))
    )
    assert parsed["Subject"] == subject
    assert parsed["From"] == "Cyngor Sir Caerlŷr <gofal@example.org>"
    long_subject = "Your carers assessment " * 8
    raw = _provider().build(_message(subject=long_subject.strip()))
    assert _parse(raw)["Subject"] == long_subject.strip()
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n")[:4])


@pytest.mark.parametrize("field", ["recipient", "subject", "unsubscribe_url"])
def test_a_line_break_in_a_header_value_is_refused_for_good(field: str) -> None:
    with pytest.raises(ProviderError) as refused:
        _provider().build(_message(**{field: "x@example.org\r\nBcc: someone@example.org"}))
    assert refused.value.failure.retryable is False


def test_no_unsubscribe_link_no_unsubscribe_headers() -> None:
    parsed = _parse(_provider().build(_message(unsubscribe_url=None)))
    assert parsed["List-Unsubscribe"] is None and parsed["List-Unsubscribe-Post"] is None


@pytest.mark.parametrize("recipient", ["", "07700900123"])
def test_a_recipient_that_is_not_an_email_address_is_refused_for_good(recipient: str) -> None:
    with pytest.raises(ProviderError) as refused:
        _provider().build(_message(recipient=recipient))
    assert refused.value.failure.retryable is False


def test_a_sender_smtp_cannot_carry_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="SMTP sender"):
        _provider("Council <a b@example.org>")
