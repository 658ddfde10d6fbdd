"""Whether and how a carer is told: consent first, then their channels in their order."""

from __future__ import annotations

from services.notifications.domain.model import (
    Contact,
    Decision,
    carer_for_unsubscribe_token,
    choose_channel,
    unsubscribe_token,
)
from services.notifications.domain.send_record import idempotency_key


def contact(**changes: object) -> Contact:
    values: dict[str, object] = {
        "carer_id": "c1",
        "given_name": "Siân",
        "email": "sian@example.org",
        "mobile": "07700900123",
        "channels": ("email", "sms"),
        "easy_read": False,
        "language": "en",
        "may_contact": True,
    }
    return Contact(**(values | changes))  # type: ignore[arg-type]


def test_a_carer_who_did_not_consent_to_contact_is_not_told() -> None:
    assert choose_channel(contact(may_contact=False)) == Decision(
        reason="the carer has not consented to contact"
    )


def test_the_first_of_the_carers_channels_wins() -> None:
    assert choose_channel(contact(channels=("sms", "email"))).channel == "sms"
    assert choose_channel(contact(channels=("email", "sms"))).channel == "email"


def test_a_channel_without_details_is_skipped_for_the_next() -> None:
    assert choose_channel(contact(email=None)).channel == "sms"
    assert choose_channel(contact(email=None, mobile=None)).reason == "no usable contact channel"


def test_post_and_phone_become_a_task_for_staff() -> None:
    assert choose_channel(contact(channels=("post", "email"))) == Decision(staff_task="post")
    assert choose_channel(contact(channels=("phone",))) == Decision(staff_task="phone")


def test_a_carer_who_unsubscribed_from_email_gets_their_next_channel() -> None:
    assert choose_channel(contact(email_opted_out=True)).channel == "sms"
    only_email = contact(channels=("email",), email_opted_out=True)
    assert "unsubscribed" in (choose_channel(only_email).reason or "")


def test_the_idempotency_key_is_stable_and_distinguishes_event_template_and_carer() -> None:
    key = idempotency_key("e1", "referral-created", "c1")
    assert key == idempotency_key("e1", "referral-created", "c1")
    assert len({key, idempotency_key("e2", "referral-created", "c1"),
                idempotency_key("e1", "referral-accepted", "c1"),
                idempotency_key("e1", "referral-created", "c2")}) == 4  # fmt: skip


def test_registry_details_become_a_contact() -> None:
    found = Contact.from_registry(
        {
            "carer_id": "c1",
            "consent": {"share_with": ["vasl"], "contact": True},
            "contact": {
                "given_name": "Siân",
                "email": "sian@example.org",
                "mobile": None,
                "preferences": {"contact_channels": ["email"], "easy_read": True, "language": "pl"},
            },
        }
    )
    assert (found.channels, found.easy_read, found.language, found.may_contact) == (
        ("email",),
        True,
        "pl",
        True,
    )


def test_an_unsubscribe_token_names_its_carer_and_cannot_be_forged() -> None:
    token = unsubscribe_token("secret", "c1")
    assert carer_for_unsubscribe_token("secret", token) == "c1"
    assert carer_for_unsubscribe_token("other-secret", token) is None
    assert carer_for_unsubscribe_token("secret", "c2." + token.split(".")[1]) is None
    assert carer_for_unsubscribe_token("secret", "nonsense") is None
