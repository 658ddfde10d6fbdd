"""Every template renders, in plain and easy read English, and says what carers need."""

from __future__ import annotations

import pytest

from services.notifications.domain.model import DEFAULT_TRIGGERS, Contact
from services.notifications.domain.plain_english import jargon_in, unexplained_acronyms
from services.notifications.domain.planning import compose
from services.notifications.domain.templates import (
    Template,
    TemplateError,
    TemplateSet,
    parse_template,
)
from tests.unit.notifications.conftest import COMMON, Rendering

SMS_LIMIT = 2 * 153  # two text message parts: longer is costly and overwhelming


def test_every_configured_template_has_email_and_sms_in_standard_and_easy_read(
    templates: TemplateSet,
) -> None:
    assert templates.problems(DEFAULT_TRIGGERS.values()) == []
    assert set(DEFAULT_TRIGGERS.values()) <= templates.ids()


def test_every_template_renders_for_every_service_with_no_placeholder_left(
    renderings: list[Rendering],
) -> None:
    assert len(renderings) == 2 * 2 * 2 * 4
    for rendering in renderings:
        assert "((" not in rendering.text and "))" not in rendering.text, rendering
        assert rendering.message.template.version >= 1
        assert rendering.message.template.easy_read == rendering.easy_read, rendering


def test_every_message_says_who_has_the_details_and_that_the_story_is_not_told_again(
    renderings: list[Rendering],
) -> None:
    for rendering in renderings:
        text = rendering.text
        if rendering.template_id == "referral-created":
            assert "details" in text, rendering  # who has them, and why (the carer agreed)
        assert "story again" in text or rendering.template_id == "referral-accepted", rendering
        assert "0116 496 0000" in text, rendering  # what to do with a question


def test_no_acronym_is_used_before_it_is_spelt_out_and_there_is_no_jargon(
    renderings: list[Rendering],
) -> None:
    for rendering in renderings:
        assert unexplained_acronyms(rendering.text) == [], rendering
        assert jargon_in(rendering.text) == [], rendering
    vasl = next(r for r in renderings if r.service == "vasl" and r.channel == "email")
    assert "Voluntary Action South Leicestershire (VASL)" in vasl.text


def test_every_email_carries_the_unsubscribe_link_and_texts_stay_short(
    renderings: list[Rendering],
) -> None:
    for rendering in renderings:
        if rendering.channel == "email":
            assert COMMON["unsubscribe_url"] in rendering.message.body, rendering
            assert rendering.message.subject, rendering
        else:
            assert len(rendering.message.body) <= SMS_LIMIT, rendering


def test_a_missing_language_falls_back_to_english_and_a_translation_is_used_when_there() -> None:
    english = parse_template(
        "version: 2\n---\nHello ((given_name))",
        id="t",
        channel="sms",
        language="en",
        easy_read=False,
    )
    welsh = parse_template(
        "version: 1\n---\nHelo ((given_name))",
        id="t",
        channel="sms",
        language="cy",
        easy_read=False,
    )
    templates = TemplateSet.of([english, welsh])
    assert templates.choose("t", "sms", "pl", easy_read=True) is english
    assert templates.choose("t", "sms", "cy", easy_read=True) is welsh  # language before easy read
    carer = Contact("c1", None, None, "07700900123", ("sms",), False, "cy", True)
    assert compose(templates, "t", "sms", carer, {}, {}).body == "Helo there"


def test_a_bad_template_file_is_refused_with_its_name_and_reason() -> None:
    with pytest.raises(TemplateError, match=r"en/t\.email: an email template needs a 'subject'"):
        parse_template(
            "version: 1\n---\nHi", id="t", channel="email", language="en", easy_read=False
        )
    with pytest.raises(TemplateError, match="'version' must be a whole number"):
        parse_template(
            "version: one\n---\nHi", id="t", channel="sms", language="en", easy_read=False
        )
    with pytest.raises(TemplateError, match="no '---' line"):
        parse_template("Hi", id="t", channel="sms", language="en", easy_read=False)


def test_rendering_without_a_value_is_an_error_not_a_gap_in_front_of_a_carer() -> None:
    template = Template("t", 1, "sms", "en", False, "Hello ((given_name)) from ((sender))")
    with pytest.raises(TemplateError, match=r"no value for \(\(sender\)\)"):
        template.render({"given_name": "Siân"})
