"""Planning a message and the consent notice, word by word (issue 18, mutation testing).

The template tests render the real files; these use a small template set of our own in two
languages and both reading levels, so each rule shows in the words: the carer's language and
reading level are used for the message *and* its footer, a letter for staff has no footer, a
carer with no name is greeted as "there", and the consent notice lists partners, who recorded
the change and the local date exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.notifications.domain.consent_notice import (
    choose_notice_channel,
    long_date,
    notice_values,
    plan_consent_notice,
    recorded_by,
)
from services.notifications.domain.model import (
    Contact,
    Decision,
    carer_for_unsubscribe_token,
    choose_channel,
    unsubscribe_token,
)
from services.notifications.domain.planning import (
    STAFF_INSTRUCTIONS,
    compose,
    plan_notification,
)
from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.send_record import Status
from services.notifications.domain.templates import Template, TemplateSet

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOURS = QuietHours.parse("21:00", "08:00")


def _t(
    tid: str, channel: str, language: str, easy: bool, body: str, subject: str | None = None
) -> Template:
    return Template(tid, 1, channel, language, easy, body, subject)


TEMPLATES = TemplateSet.of(
    [
        _t("news", "email", "en", False, "Hello ((given_name)), ((service_name)).", "News"),
        _t("news", "email", "en", True, "Hi ((given_name)). ((service_name)).", "Easy news"),
        _t("news", "email", "cy", False, "Helo ((given_name)), ((service_name)).", "Newyddion"),
        _t("news", "sms", "en", False, "Text for ((given_name))"),
        _t("_footer", "email", "en", False, "Stop: ((unsubscribe_url))"),
        _t("_footer", "email", "en", True, "Easy stop: ((unsubscribe_url))"),
        _t("_footer", "email", "cy", False, "Stopio: ((unsubscribe_url))"),
        _t("consent-widened", "email", "en", False, "((given_name)): ((what_changed))", "Said"),
        _t("consent-widened", "email", "cy", False, "((given_name)) cy: ((what_changed))", "Cy"),
        _t("consent-widened", "sms", "en", False, "((given_name)): ((what_changed))"),
    ],
    {
        "en": {"vasl": {"name": "VASL in English"}},
        "cy": {"vasl": {"name": "VASL yn Gymraeg"}},
    },
)
COMMON = {"unsubscribe_url": "https://example.org/u"}
VASL = {"service": "vasl"}


def contact(**changes: Any) -> Contact:
    values: dict[str, Any] = {
        "carer_id": "c1",
        "given_name": "Siân",
        "email": "sian@example.org",
        "mobile": "07700900123",
        "channels": ("email",),
        "easy_read": False,
        "language": "en",
        "may_contact": True,
    }
    return Contact(**(values | changes))


# -- composing -----------------------------------------------------------------------------------


def test_an_email_has_its_subject_and_the_footer_in_the_carers_language() -> None:
    made = compose(TEMPLATES, "news", "email", contact(language="cy"), VASL, COMMON)
    assert made.subject == "Newyddion"
    assert made.body == "Helo Siân, VASL yn Gymraeg.\n\nStopio: https://example.org/u"


def test_an_easy_read_email_has_the_easy_read_footer() -> None:
    made = compose(TEMPLATES, "news", "email", contact(easy_read=True), VASL, COMMON)
    assert made.template.easy_read and made.subject == "Easy news"
    assert made.body == "Hi Siân. VASL in English.\n\nEasy stop: https://example.org/u"


def test_a_text_has_no_footer_and_a_letter_can_be_made_without_one() -> None:
    assert compose(TEMPLATES, "news", "sms", contact(), VASL, COMMON).body == "Text for Siân"
    letter = compose(TEMPLATES, "news", "email", contact(), VASL, COMMON, footer=False)
    assert letter.body == "Hello Siân, VASL in English."


def test_a_carer_with_no_name_is_greeted_as_there() -> None:
    for name in (None, "   "):
        made = compose(TEMPLATES, "news", "sms", contact(given_name=name), VASL, COMMON)
        assert made.body == "Text for there"


# -- planning ------------------------------------------------------------------------------------


def plan(carer: Contact) -> Any:
    return plan_notification(
        carer, "news", VASL, templates=TEMPLATES, quiet_hours=HOURS, now=NOON, common=COMMON
    )


def test_post_becomes_a_staff_task_with_the_letter_and_its_instruction() -> None:
    made = plan(contact(channels=("post",)))
    assert (made.status, made.channel) == (Status.STAFF_TASK, "post")
    assert made.reason == "The carer asked for letters: please post them this message."
    assert made.composed.body == "Hello Siân, VASL in English.", "a letter has no unsubscribe"
    assert STAFF_INSTRUCTIONS["phone"] == (
        "The carer asked for phone calls: please phone them and tell them this."
    )
    assert plan(contact(channels=("phone",))).reason == STAFF_INSTRUCTIONS["phone"]


def test_nothing_to_send_is_recorded_on_no_channel_with_the_reason() -> None:
    made = plan(contact(may_contact=False))
    assert (made.status, made.channel, made.composed) == (Status.NOT_SENT, "none", None)
    assert made.reason == "the carer has not consented to contact"


def test_an_email_goes_now_to_the_email_address() -> None:
    made = plan(contact())
    assert (made.status, made.channel, made.recipient, made.not_before) == (
        Status.PENDING,
        "email",
        "sian@example.org",
        NOON,
    )


# -- choosing a channel, unsubscribing -----------------------------------------------------------


def test_the_reasons_for_not_telling_a_carer_are_the_ones_staff_see() -> None:
    only_email = contact(channels=("email",), email_opted_out=True)
    assert choose_channel(only_email) == Decision(
        reason="the carer unsubscribed from email and has no other channel"
    )
    assert choose_notice_channel(contact(email=None, mobile=None)) == Decision(
        reason="no usable contact channel for the consent notice"
    )


def test_a_contact_reads_english_when_the_registry_names_no_language() -> None:
    found = Contact.from_registry({"carer_id": "c1", "contact": {"preferences": {}}})
    assert (found.language, found.channels, found.may_contact) == ("en", (), False)


def test_an_unsubscribe_token_is_the_carer_and_32_hex_characters_of_signature() -> None:
    token = unsubscribe_token("secret", "carer.with.dots")
    carer, signature = token.rsplit(".", 1)
    assert carer == "carer.with.dots" and len(signature) == 32
    assert int(signature, 16) >= 0
    assert carer_for_unsubscribe_token("secret", token) == "carer.with.dots"


# -- the consent notice --------------------------------------------------------------------------

WIDENED: dict[str, Any] = {
    "added_share_with": ["vasl"],
    "contact_added": False,
    "recorded_by": {"kind": "vasl", "org_name": None},
    "recorded_at": "2026-06-02T23:30:00+00:00",  # 3 June in London (BST)
}


def values(easy: bool = False, timezone: str = "Europe/London", **changes: Any) -> dict[str, str]:
    return notice_values({**WIDENED, **changes}, easy, timezone)


def test_the_notice_channel_is_the_carers_first_usable_one() -> None:
    both = contact(channels=("email", "sms"))
    assert choose_notice_channel(both) == Decision(channel="email")


def test_partners_are_listed_with_commas_and_a_final_and() -> None:
    three = values(added_share_with=["gp", "vasl", "council"])["what_changed"]
    assert three == (
        "You agreed to share your information with your doctor, Voluntary Action South "
        "Leicestershire (VASL) and Leicestershire County Council."
    )
    one = values(added_share_with=["gp"])["what_changed"]
    assert one == "You agreed to share your information with your doctor."
    unknown = values(added_share_with=["hospice"])["what_changed"]
    assert unknown == "You agreed to share your information with hospice."


def test_contact_added_is_said_with_also_only_after_partners_in_plain_english() -> None:
    both = values(contact_added=True)["what_changed"]
    assert both.endswith(" You also agreed that we can contact you.")
    alone = values(added_share_with=[], contact_added=True)["what_changed"]
    assert alone == "You agreed that we can contact you."
    easy = values(easy=True, added_share_with=["council"], contact_added=True)["what_changed"]
    assert easy == (
        "You said we can share your information with the council. You said we can contact you."
    )


def test_a_change_with_nothing_named_still_says_something_changed() -> None:
    changed = values(added_share_with=[], contact_added=False)["what_changed"]
    assert changed == "Who can see your information has changed."


def test_the_date_is_the_carers_local_date() -> None:
    assert values()["recorded_on"] == "3 June 2026"
    assert values(timezone="America/New_York")["recorded_on"] == "2 June 2026"
    assert long_date(datetime(2026, 6, 2, 23, 30, tzinfo=UTC)) == "3 June 2026"
    at = datetime(2026, 6, 2, 23, 30, tzinfo=UTC)
    assert values(recorded_at=at)["recorded_on"] == "3 June 2026"


def test_who_recorded_it_is_their_name_else_their_kind_else_us() -> None:
    assert recorded_by({"kind": "gp", "org_name": "Example Surgery"}) == "Example Surgery"
    assert recorded_by({"kind": "school"}) == "a school"
    assert recorded_by({"kind": "unknown-kind"}) == "us"
    assert recorded_by({}) == "us"


def notice(carer: Contact, **changes: Any) -> Any:
    return plan_consent_notice(
        carer,
        {**WIDENED, **changes},
        templates=TEMPLATES,
        quiet_hours=HOURS,
        now=NOON,
        common=COMMON,
        timezone="Europe/London",
    )


def test_the_notice_is_in_the_carers_language_with_its_subject_and_name() -> None:
    made = notice(contact(language="cy"))
    assert made.composed.subject == "Cy"
    assert made.composed.body.startswith("Siân cy: You agreed to share")
    assert notice(contact(given_name=" ")).composed.body.startswith("there: ")
    assert notice(contact(given_name=None)).composed.body.startswith("there: ")


def test_a_notice_for_a_carer_who_asked_for_letters_is_a_staff_task_with_the_words() -> None:
    made = notice(contact(channels=("phone",)))
    assert (made.status, made.channel) == (Status.STAFF_TASK, "phone")
    assert made.reason == STAFF_INSTRUCTIONS["phone"]
    assert made.composed.body.startswith("Siân: You agreed to share your information")


def test_a_notice_with_no_way_to_reach_the_carer_is_not_sent_on_no_channel() -> None:
    made = notice(contact(email=None, mobile=None))
    assert (made.status, made.channel, made.composed) == (Status.NOT_SENT, "none", None)
