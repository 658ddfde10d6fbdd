"""The sign-in code message: in plain and easy read English, by email and text, with the code,
how long it lasts and what to do if the carer did not ask for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from services.notifications.domain.plain_english import jargon_in, unexplained_acronyms
from services.notifications.domain.secrets import CODE_WITHHELD, reveal, withhold
from services.notifications.service_layer import signin_codes
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


def test_no_subject_line_shows_the_code_and_a_template_that_would_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = signin_templates()
    for channel in ("email", "sms"):
        for easy in (False, True):
            subject, _ = templates.choose(TEMPLATE_ID, channel, "en", easy).render(VALUES)
            assert "042917" not in (subject or "")
    leaky = tmp_path / "en"
    shutil.copytree(signin_codes.TEMPLATES_DIR / "en", leaky)
    email = leaky / "signin-code.email.txt"
    email.write_text(email.read_text().replace("subject: Your code", "subject: ((code)) is"))
    monkeypatch.setattr(signin_codes, "TEMPLATES_DIR", tmp_path)
    with pytest.raises(ValueError, match="subject line must not show the code"):
        signin_templates()


def test_the_stored_text_withholds_the_code_and_only_the_send_puts_it_back() -> None:
    _, stored = (
        signin_templates()
        .choose(TEMPLATE_ID, "sms", "en", False)
        .render({**VALUES, "code": CODE_WITHHELD})
    )
    assert "042917" not in stored and CODE_WITHHELD in stored
    sent = reveal(stored, "042917")
    assert "042917" in sent and CODE_WITHHELD not in sent and len(sent) <= 160
    assert withhold(f"550 rejected: {sent}", "042917").count("042917") == 0
