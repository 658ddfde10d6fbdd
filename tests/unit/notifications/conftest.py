"""Rendering every carer-facing template in every variant, for the template tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from services.notifications.adapters.template_files import load_templates
from services.notifications.domain.model import Contact
from services.notifications.domain.planning import Composed, compose
from services.notifications.domain.templates import TemplateSet

SERVICES = ("vasl", "carers_assessment", "young_carers", "support_at_home")
COMMON = {
    "help_phone": "0116 496 0000",
    "sender": "Leicestershire County Council",
    "unsubscribe_url": "https://carers.example/unsubscribe/c1.0123456789abcdef",
}


@dataclass(frozen=True)
class Rendering:
    template_id: str
    channel: str
    easy_read: bool
    service: str
    message: Composed

    @property
    def text(self) -> str:
        subject = f"{self.message.subject}.\n\n" if self.message.subject else ""
        return subject + self.message.body

    def __str__(self) -> str:
        return f"{self.message.template.name} for {self.service}"


@pytest.fixture(scope="session")
def templates() -> TemplateSet:
    return load_templates()


def every_rendering(templates: TemplateSet) -> Iterator[Rendering]:
    for template_id in sorted(templates.ids()):
        for channel in ("email", "sms"):
            for easy_read in (False, True):
                for service in SERVICES:
                    carer = Contact("c1", "Siân", "s@example.org", "07700900123",
                                    (channel,), easy_read, "en", True)  # fmt: skip
                    yield Rendering(
                        template_id,
                        channel,
                        easy_read,
                        service,
                        compose(
                            templates, template_id, channel, carer, {"service": service}, COMMON
                        ),
                    )


@pytest.fixture(scope="session")
def renderings(templates: TemplateSet) -> list[Rendering]:
    return list(every_rendering(templates))
