"""The notice a carer gets when their consent is widened (contract 6.2): plain English (and
easy read), who they agreed to share with, who recorded it and when, where to say it is
wrong; sent whatever their consent to contact, never to an email they unsubscribed from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import textstat

from services.notifications.adapters.template_files import load_notice_templates
from services.notifications.domain.consent_notice import (
    choose_notice_channel,
    notice_values,
    plan_consent_notice,
)
from services.notifications.domain.model import Contact
from services.notifications.domain.plain_english import (
    jargon_in,
    readable_text,
    unexplained_acronyms,
)
from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.send_record import Status

WIDENED: dict[str, Any] = {
    "carer_id": "c1",
    "added_share_with": ["vasl", "council"],
    "contact_added": False,
    "share_with": ["gp", "vasl", "council"],
    "contact": False,
    "recorded_by": {"kind": "vasl", "org_code": "VASL", "org_name": None},
    "on_behalf_of": "carer",
    "recorded_at": "2026-03-02T23:30:00+00:00",  # 2 March in London (GMT)
}
COMMON = {
    "help_phone": "0116 496 0000",
    "sender": "Leicestershire County Council",
    "self_service_url": "https://carers.example/self-service",
}
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NIGHT = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
HOURS = QuietHours.parse("21:00", "08:00", "Europe/London")


def contact(**changes: Any) -> Contact:
    values: dict[str, Any] = {
        "carer_id": "c1",
        "given_name": "Siân",
        "email": "sian@example.org",
        "mobile": "07700900123",
        "channels": ("email",),
        "easy_read": False,
        "language": "en",
        "may_contact": False,
    }
    return Contact(**(values | changes))


def plan(carer: Contact, widened: dict[str, Any] = WIDENED, now: datetime = NOON) -> Any:
    return plan_consent_notice(
        carer,
        widened,
        templates=load_notice_templates(),
        quiet_hours=HOURS,
        now=now,
        common=COMMON,
        timezone="Europe/London",
    )


def test_the_notice_says_who_may_now_see_what_who_recorded_it_when_and_where_to_object() -> None:
    made = plan(contact())
    assert made.status == Status.PENDING and made.channel == "email"
    assert made.recipient == "sian@example.org"
    body = made.composed.body
    assert (
        "You agreed to share your information with Voluntary Action South Leicestershire "
        "(VASL) and Leicestershire County Council. This was recorded by Voluntary Action South "
        "Leicestershire (VASL) on 2 March 2026." in body
    )
    assert "If this is wrong, tell us: https://carers.example/self-service" in body
    assert "0116 496 0000" in body and "unsubscribe" not in body.lower()


@pytest.mark.parametrize("channel", ["email", "sms"])
@pytest.mark.parametrize("easy_read", [False, True])
def test_every_variant_is_plain_english_readable_and_short_enough_for_a_text(
    channel: str, easy_read: bool
) -> None:
    widened = {**WIDENED, "contact_added": True, "added_share_with": ["gp", "vasl", "council"]}
    made = plan(contact(channels=(channel,), easy_read=easy_read), widened)
    assert made.composed.template.easy_read is easy_read
    text = f"{made.composed.subject or ''}.\n\n{made.composed.body}"
    assert unexplained_acronyms(text) == [] and jargon_in(text) == []
    score = textstat.flesch_reading_ease(readable_text(text))
    assert score >= (70 if easy_read else 60), score
    if channel == "sms":
        assert len(made.composed.body) <= 3 * 153, "three partners at most: three texts"
    assert "contact you" in made.composed.body


def test_it_goes_without_consent_to_contact_but_never_to_an_unsubscribed_email() -> None:
    assert choose_notice_channel(contact(may_contact=False)).channel == "email"
    unsubscribed = contact(email_opted_out=True, channels=("email",))
    assert choose_notice_channel(unsubscribed).channel == "sms"
    nothing = contact(email_opted_out=True, mobile=None)
    refused = plan(nothing)
    assert refused.status == Status.NOT_SENT and "no usable contact channel" in refused.reason
    assert choose_notice_channel(contact(channels=())).channel == "email", "any channel we have"
    letter = plan(contact(channels=("post",)))
    assert letter.status == Status.STAFF_TASK and "post" in letter.reason


def test_a_text_waits_for_the_morning_and_the_carer_recording_it_themselves_is_named() -> None:
    texted = plan(contact(channels=("sms",)), now=NIGHT)
    assert texted.channel == "sms" and texted.not_before > NIGHT
    by_carer = {**WIDENED, "recorded_by": {"kind": "self"}, "added_share_with": ["gp"]}
    values = notice_values(by_carer, False, "Europe/London")
    assert values == {
        "what_changed": "You agreed to share your information with your doctor.",
        "recorded_by": "you, on our website",
        "recorded_on": "2 March 2026",
    }
