"""Template files, service wording and the plain English checks at their edges (issue 18,
mutation testing): what a bad file's error names, which wording a language falls back to,
every missing variant the start-up check reports, and acronyms and jargon found exactly."""

from __future__ import annotations

import pytest

from services.notifications.domain.plain_english import (
    jargon_in,
    readable_text,
    unexplained_acronyms,
)
from services.notifications.domain.templates import (
    Template,
    TemplateError,
    TemplateSet,
    parse_template,
)


def parse(text: str, channel: str = "sms", easy_read: bool = False) -> Template:
    return parse_template(text, id="t", channel=channel, language="en", easy_read=easy_read)


def test_a_file_becomes_a_template_with_its_version_subject_and_body() -> None:
    made = parse("version: 3\nsubject: Hello\n---\n\nBody text\n\n", channel="email")
    assert (made.version, made.subject, made.body) == (3, "Hello", "Body text\n")
    assert (made.id, made.channel, made.language, made.easy_read) == ("t", "email", "en", False)


def test_a_body_may_contain_a_line_of_dashes() -> None:
    made = parse("version: 1\n---\nAbove\n---\nBelow")
    assert made.body == "Above\n---\nBelow\n"


def test_each_refusal_names_the_file_with_its_variant() -> None:
    with pytest.raises(TemplateError) as bad_header:
        parse("version 1\n---\nHi", easy_read=True)
    assert (
        str(bad_header.value) == "en/t.sms.easy-read: header line 'version 1' is not 'key: value'"
    )
    with pytest.raises(TemplateError) as zero:
        parse("version: 0\n---\nHi")
    assert str(zero.value) == "en/t.sms: 'version' starts at 1"
    with pytest.raises(TemplateError, match=r"^en/t\.sms: 'version' must be a whole number$"):
        parse("subject: x\n---\nHi")


def test_a_footer_email_needs_no_subject() -> None:
    footer = parse_template(
        "version: 1\n---\nStop", id="_footer", channel="email", language="en", easy_read=False
    )
    assert footer.subject is None


def test_choosing_a_template_nobody_wrote_names_it_and_the_channel() -> None:
    with pytest.raises(TemplateError) as missing:
        TemplateSet.of([]).choose("news", "sms", "en", easy_read=False)
    assert str(missing.value) == "no template 'news' for sms"


def test_a_standard_reader_never_gets_the_easy_read_text() -> None:
    easy = Template("t", 1, "sms", "cy", True, "easy cy")
    english = Template("t", 1, "sms", "en", False, "plain en")
    assert TemplateSet.of([easy, english]).choose("t", "sms", "cy", easy_read=False) is english


WORDING = {
    "en": {"vasl": {"name": "VASL", "phone": "0116"}, "young_carers": {"name": "Young"}},
    "cy": {"vasl": {"name": "VASL cy"}},
}


def test_service_words_come_in_the_language_asked_else_english_else_none() -> None:
    words = TemplateSet.of([], WORDING)
    assert words.service_values("cy", "vasl") == {"service_name": "VASL cy"}
    assert words.service_values("en", "vasl") == {"service_name": "VASL", "service_phone": "0116"}
    assert words.service_values("cy", "young_carers") == {"service_name": "Young"}
    assert words.service_values("pl", "vasl") == {"service_name": "VASL", "service_phone": "0116"}
    assert words.service_values("en", "unknown") == {}
    assert words.service_values("en", None) == {}


def test_the_start_up_check_names_every_missing_variant() -> None:
    assert TemplateSet.of([]).problems(["news"]) == [
        "missing template en/_footer.email",
        "missing template en/_footer.email.easy-read",
        "missing template en/news.email",
        "missing template en/news.email.easy-read",
        "missing template en/news.sms",
        "missing template en/news.sms.easy-read",
    ]


def test_the_start_up_check_is_content_with_all_four_variants_and_both_footers() -> None:
    found = [
        Template(tid, 1, channel, "en", easy, "x", "s")
        for tid, channels in (("news", ("email", "sms")), ("_footer", ("email",)))
        for channel in channels
        for easy in (False, True)
    ]
    assert TemplateSet.of(found).problems(["news"]) == []
    assert TemplateSet.of(found[1:]).problems(["news"]) == ["missing template en/news.email"]


# -- plain English -------------------------------------------------------------------------------


def test_an_acronym_spelt_out_after_its_first_use_is_still_unexplained() -> None:
    assert unexplained_acronyms("Ask VASL. Voluntary Action South Leicestershire helps.") == [
        "VASL"
    ]
    assert unexplained_acronyms("Voluntary Action South Leicestershire (VASL) helps.") == []
    assert unexplained_acronyms("Ask the DWP.") == ["DWP"]


def test_jargon_is_found_whatever_its_case_but_not_inside_a_link() -> None:
    assert jargon_in("Your REFERRAL is ready") == ["referral"]
    assert jargon_in("See https://example.org/referral") == []
    assert jargon_in("See https://example.org/x referral") == ["referral"]


def test_links_are_left_out_of_the_readable_words() -> None:
    assert readable_text("Read https://example.org/a-very-long-link now") == "Read  now"


def test_service_words_with_no_english_at_all_are_simply_absent() -> None:
    welsh_only = TemplateSet.of([], {"cy": {"vasl": {"name": "VASL cy"}}})
    assert welsh_only.service_values("pl", "vasl") == {}
