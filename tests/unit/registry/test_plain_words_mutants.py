"""The words a carer reads on "Check your support", exactly (issue 18, mutation testing).

The words are the feature here: carers said nobody tells them what happens next, so every
status ends with a next step and a time, in plain English and in easy read. These tests pin
each sentence for each status, outcome and reason, and who identified the carer and what they
agreed to, so a changed word or a swapped branch fails a test.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.registry.selfservice.domain.plain_words import (
    ReferralView,
    consent_view,
    describe_referral,
    is_under_16,
    long_date,
    sources_view,
)

VASL = "Voluntary Action South Leicestershire (VASL), the carers support service"


def view(status: str, *, easy: bool = False, **extra: object) -> ReferralView:
    referral = {"referral_id": "r-1", "service": "vasl", "status": status, **extra}
    return describe_referral(referral, easy=easy)


def test_requested_in_plain_english() -> None:
    assert view("requested", due_by="2026-11-27") == ReferralView(
        "r-1",
        VASL,
        "Waiting to be accepted",
        "blue",
        f"We have passed your details to {VASL}.",
        "They will look at what you told us and aim to accept the referral by Friday 27 "
        "November 2026. Then they will contact you in the way you asked.",
    )


def test_requested_in_easy_read_and_without_a_date() -> None:
    assert view("requested", easy=True) == ReferralView(
        "r-1",
        "VASL, a charity that helps carers",
        "Waiting",
        "blue",
        "We sent your details to VASL, a charity that helps carers.",
        "They will look at your details soon. Then they will contact you.",
    )


def test_accepted_in_both_versions_names_the_team_with_a_capital() -> None:
    plain = view("accepted", service="carers_assessment")
    assert (plain.status, plain.tag_colour) == ("Accepted", "green")
    assert plain.explanation == (
        "The carers team at Leicestershire County Council, for a carer's assessment "
        "accepted your referral."
    )
    assert plain.next_step == (
        "They will contact you to arrange support. You will not need to tell your story "
        "again: they have what you told us."
    )
    easy = view("accepted", easy=True, service="young_carers")
    assert easy.team == "the young carers team at the council"
    assert easy.explanation == "The young carers team at the council will help you."
    assert easy.next_step == (
        "They will contact you to talk about help. You do not need to tell your story again."
    )


def test_completed_says_what_came_of_it_and_how_to_ask_again() -> None:
    plain = view("completed", outcome={"type": "assessment_completed"})
    assert (plain.status, plain.tag_colour) == ("Finished", "grey")
    assert plain.explanation == "Your carer's assessment is complete."
    assert plain.next_step == (
        "If things change and you need more help, you can tell us again here or call us."
    )
    easy = view("completed", easy=True, outcome={"type": "assessment_completed"})
    assert easy.explanation == "Your assessment is done."
    assert easy.next_step == "If you need more help, tell us again or call us."


@pytest.mark.parametrize(
    ("outcome", "plain", "easy"),
    [
        (
            {"type": "passport_issued"},
            "You have been given a young carers passport.",
            "You have a young carers passport.",
        ),
        (
            {"type": "signposted"},
            "They put you in touch with other support that can help.",
            "They told you about other help.",
        ),
        ({"type": "something_new"}, "This referral is complete.", "This is finished."),
        (None, "This referral is complete.", "This is finished."),
    ],
)
def test_each_outcome_in_both_versions(outcome: Any, plain: str, easy: str) -> None:
    assert view("completed", outcome=outcome).explanation == plain
    assert view("completed", easy=True, outcome=outcome).explanation == easy


def test_declined_points_to_other_support() -> None:
    plain = view("declined", service="support_at_home")
    assert (plain.team, plain.status, plain.tag_colour) == (
        "Support at Home",
        "Not going ahead",
        "orange",
    )
    assert plain.explanation == "Support at Home could not take this referral forward."
    assert plain.next_step == (
        "Call us and we will talk with you about other support that could help."
    )
    easy = view("declined", easy=True, service="support_at_home")
    assert easy.explanation == "Support at Home cannot help with this."
    assert easy.next_step == "Call us. We will talk about other help."


def test_withdrawn_without_consent_reason_says_call_us() -> None:
    plain = view("withdrawn", reason="duplicate")
    assert (plain.status, plain.tag_colour) == ("Stopped", "grey")
    assert plain.explanation == "This referral was stopped."
    assert plain.next_step == "If you did not expect this, call us and we will explain."
    easy = view("withdrawn", easy=True)
    assert easy.explanation == "This has stopped."
    assert easy.next_step == "If you did not expect this, call us."


def test_withdrawn_for_consent_says_how_to_change_it_in_both_versions() -> None:
    reason = "the carer withdrew consent to share with VASL"
    assert view("withdrawn", reason=reason).next_step == (
        "You told us not to share your details with them. If you change your mind, change "
        "what you agree to below and we will refer you again."
    )
    assert view("withdrawn", easy=True, reason=reason).next_step == (
        "You said we cannot share your details with them. You can change this below."
    )


def test_a_service_we_have_no_words_for_is_named_by_its_id() -> None:
    plain = view("accepted", service="befriending_scheme")
    assert plain.team == "befriending scheme"
    assert plain.explanation == "Befriending scheme accepted your referral."
    assert view("accepted", easy=True, service="befriending_scheme").team == "befriending_scheme"


def test_sources_without_a_kind_are_someone_who_works_with_carers() -> None:
    assert sources_view([{"at": "1"}]) == ["Someone who works with carers"]
    assert sources_view([{"kind": None}], easy=True) == ["Someone who helps carers"]
    assert sources_view([{"kind": "unheard-of"}]) == ["Someone who works with carers"]


def test_a_gp_or_hospital_without_a_name_is_shown_with_its_code() -> None:
    sources = [
        {"kind": "hospital", "org_code": "RWE", "at": "2026-01-02"},
        {"kind": "gp", "org_code": "C82001", "at": "2026-01-01"},
        {"kind": "council", "org_code": "E10000018", "at": "2026-01-03"},
    ]
    assert sources_view(sources) == [
        "Your GP practice (C82001)",
        "A hospital (RWE)",
        "Leicestershire County Council",
    ]
    assert sources_view(sources, easy=True) == [
        "Your doctor's surgery (C82001)",
        "A hospital (RWE)",
        "The council",
    ]


def test_a_named_source_beats_its_code_and_a_self_source_never_shows_a_name() -> None:
    sources = [
        {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery", "at": "1"},
        {"kind": "self", "org_code": "X", "org_name": "Online form", "at": "2"},
        {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery", "at": "3"},
    ]
    assert sources_view(sources, easy=True) == [
        "Your doctor's surgery: Example Surgery",
        "You told us",
    ]


def test_sources_without_a_time_come_first() -> None:
    sources: list[dict[str, Any]] = [
        {"kind": "vasl", "at": "2026-01-01"},
        {"kind": "school", "at": None},
    ]
    assert sources_view(sources) == ["Your school or college", "VASL, the carers support service"]


def test_consent_in_easy_read_and_without_answers() -> None:
    assert consent_view({"share_with": ["gp", "council"], "contact": False}, easy=True) == [
        ("your doctor", True),
        ("the council", True),
        ("VASL", False),
        ("contact you", False),
    ]
    assert consent_view({}) == [
        ("your GP practice", False),
        ("Leicestershire County Council", False),
        ("Voluntary Action South Leicestershire (VASL)", False),
        ("contact you about your support", False),
    ]


def test_long_dates_name_the_weekday_day_month_and_year() -> None:
    assert long_date(date(2026, 11, 27)) == "Friday 27 November 2026"
    assert long_date(date(2027, 1, 9)) == "Saturday 9 January 2027"


def test_sixteen_is_the_age_pages_stop_speaking_to_a_child() -> None:
    assert is_under_16(date(2010, 11, 24), date(2026, 11, 23)), "15 years old"
    assert not is_under_16(date(2010, 11, 23), date(2026, 11, 23)), "16 today"
    assert not is_under_16(date(2009, 1, 1), date(2026, 11, 23)), "17 years old"


def test_every_view_names_its_referral_and_team() -> None:
    for status in ("requested", "accepted", "completed", "declined", "withdrawn"):
        for easy in (False, True):
            made = view(status, easy=easy, service="young_carers")
            assert made.referral_id == "r-1", (status, easy)
            assert made.team == (
                "the young carers team at the council"
                if easy
                else "the young carers team at Leicestershire County Council"
            ), (status, easy)
