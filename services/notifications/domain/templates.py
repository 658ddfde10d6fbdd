"""Message templates: versioned text with ``((placeholders))``, in plain and easy read English.

Carers told the council that information is overwhelming and full of jargon, so the wording
lives in files that people who are not programmers can read and change (one file per channel,
variant and language under ``services/notifications/templates/<language>/``), and each change
bumps the file's ``version``, which every message records. A file looks like::

    version: 3
    subject: We have passed on your details     (email only)
    ---
    Hello ((given_name)),
    ...

``<id>.<channel>.txt`` is the standard text; ``<id>.<channel>.easy-read.txt`` the easy read
one. A language without a translation falls back to English, so a new language can be added
one template at a time. Words that depend on the service the carer was referred to come from
``services.ini`` in the same folder (``((service_name))`` is the ``name`` key of the
``[vasl]`` section, and so on). Placeholders use Notify's ``((name))`` syntax so the same text
can be pasted into Notify if the council ever wants Notify to hold it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

PLACEHOLDER = re.compile(r"\(\(([a-z][a-z0-9_]*)\)\)")
FALLBACK_LANGUAGE = "en"
CHANNELS = ("email", "sms")


class TemplateError(ValueError):
    """A template file or a rendering that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Template:
    """One variant of a template: ``id`` in ``language`` for ``channel``, easy read or not."""

    id: str
    version: int
    channel: str
    language: str
    easy_read: bool
    body: str
    subject: str | None = None

    @property
    def variant(self) -> str:
        return f"{self.channel}.easy-read" if self.easy_read else self.channel

    @property
    def name(self) -> str:
        return f"{self.language}/{self.id}.{self.variant}"

    def render(self, values: Mapping[str, str]) -> tuple[str | None, str]:
        """(subject, body) with every placeholder filled; a missing value is an error."""

        def fill(text: str) -> str:
            def one(match: re.Match[str]) -> str:
                if match.group(1) not in values:
                    raise TemplateError(f"{self.name}: no value for (({match.group(1)}))")
                return str(values[match.group(1)])

            return PLACEHOLDER.sub(one, text)

        return (fill(self.subject) if self.subject else None), fill(self.body).strip()


def parse_template(text: str, *, id: str, channel: str, language: str, easy_read: bool) -> Template:
    """A template from its file's text: ``key: value`` lines, a ``---`` line, then the body."""
    name = f"{language}/{id}.{channel}{'.easy-read' if easy_read else ''}"
    head, separator, body = text.partition("\n---\n")
    if not separator:
        raise TemplateError(f"{name}: no '---' line between the header and the text")
    meta: dict[str, str] = {}
    for line in head.strip().splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            raise TemplateError(f"{name}: header line {line!r} is not 'key: value'")
        meta[key.strip()] = value.strip()
    try:
        version = int(meta["version"])
    except (KeyError, ValueError):
        raise TemplateError(f"{name}: 'version' must be a whole number") from None
    if version < 1:
        raise TemplateError(f"{name}: 'version' starts at 1")
    subject = meta.get("subject")
    if channel == "email" and not id.startswith("_") and not subject:
        raise TemplateError(f"{name}: an email template needs a 'subject'")
    return Template(id, version, channel, language, easy_read, body.strip() + "\n", subject)


@dataclass
class TemplateSet:
    """All templates and service wording, with the rules for choosing a variant."""

    templates: dict[tuple[str, str, str, bool], Template] = field(default_factory=dict)
    wording: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        templates: Iterable[Template],
        wording: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None,
    ) -> TemplateSet:
        return cls(
            {(t.language, t.id, t.channel, t.easy_read): t for t in templates},
            {lang: {s: dict(w) for s, w in ws.items()} for lang, ws in (wording or {}).items()},
        )

    def ids(self) -> set[str]:
        return {key[1] for key in self.templates if not key[1].startswith("_")}

    def choose(self, template_id: str, channel: str, language: str, easy_read: bool) -> Template:
        """The best variant: the carer's language first (they may read no English), then
        easy read if asked, then English."""
        candidates = (
            [(language, easy_read), (language, False)] if easy_read else [(language, False)]
        )
        candidates += [(FALLBACK_LANGUAGE, easy_read), (FALLBACK_LANGUAGE, False)]
        for lang, easy in candidates:
            found = self.templates.get((lang, template_id, channel, easy))
            if found is not None:
                return found
        raise TemplateError(f"no template {template_id!r} for {channel}")

    def service_values(self, language: str, service: str | None) -> dict[str, str]:
        """``service_<key>`` values for the service a referral went to, in ``language``."""
        if not service:
            return {}
        words = self.wording.get(language, {}).get(service)
        if words is None:
            words = self.wording.get(FALLBACK_LANGUAGE, {}).get(service, {})
        return {f"service_{key}": value for key, value in words.items()}

    def problems(self, required_ids: Iterable[str]) -> list[str]:
        """What is missing for the templates the service is configured to send.

        Every carer-facing template needs English email and SMS texts, each in a standard and
        an easy read variant, so no carer who asked for easy read gets the standard text.
        """
        found: list[str] = []
        for template_id in sorted(set(required_ids) | {"_footer"}):
            channels = ("email",) if template_id == "_footer" else CHANNELS
            for channel in channels:
                for easy in (False, True):
                    if (FALLBACK_LANGUAGE, template_id, channel, easy) not in self.templates:
                        variant = f"{channel}{'.easy-read' if easy else ''}"
                        found.append(
                            f"missing template {FALLBACK_LANGUAGE}/{template_id}.{variant}"
                        )
        return found
