"""The sign-in code message: in plain and easy read English, by email and text, with the code,
how long it lasts and what to do if the carer did not ask for it."""

from __future__ import annotations

from services.notifications.domain.plain_english import jargon_in, unexplained_acronyms
from services.notifications.service_layer.signin_codes import TEMPLATE_ID, signin_templates

VALUES = {"code": "042917", "minutes": "10", "given_name": "Siân",
          "help_phone": "0116 496 0000", "sender": "Leicestershire County Council"}  # fmt: skip


def test_every_variant_renders_with_the_code_the_time_and_the_help_line() -> None:
    templates = signin_templates()
    for channel in ("email", "sms"):
        for easy in (False, True):
            template = templates.choose(TEMPLATE_ID, channel, "en", easy)
            assert template.easy_read == easy
            subject, body = template.render(VALUES)
            assert "042917" in body and "10 minutes" in body and "0116 496 0000" in body
            assert unexplained_acronyms(body) == [] and jargon_in(body) == []
            if channel == "sms":
                assert len(body) <= 160, "a code fits in one text message"
            else:
                assert subject and "Siân" in body
