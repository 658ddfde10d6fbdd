"""Reading the template folder: ``<language>/<id>.<channel>[.easy-read].txt`` and
``<language>/services.ini``. Read once at start-up; a bad file stops the service starting
rather than surfacing in front of a carer."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from services.notifications.domain.templates import (
    CHANNELS,
    Template,
    TemplateError,
    TemplateSet,
    parse_template,
)

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "templates"
_FILE = re.compile(
    r"^(?P<id>_?[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<channel>[a-z]+)(?P<easy>\.easy-read)?\.txt$"
)


def load_templates(folder: Path = DEFAULT_DIR) -> TemplateSet:
    """Every template and service wording under ``folder`` (one subfolder per language)."""
    templates: list[Template] = []
    wording: dict[str, dict[str, dict[str, str]]] = {}
    for language_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        language = language_dir.name
        for path in sorted(language_dir.glob("*.txt")):
            match = _FILE.match(path.name)
            if match is None or match["channel"] not in CHANNELS:
                raise TemplateError(
                    f"{language}/{path.name}: name it <id>.<email|sms>[.easy-read].txt"
                )
            templates.append(
                parse_template(
                    path.read_text(encoding="utf-8"),
                    id=match["id"],
                    channel=match["channel"],
                    language=language,
                    easy_read=bool(match["easy"]),
                )
            )
        ini = language_dir / "services.ini"
        if ini.exists():
            parser = configparser.ConfigParser(interpolation=None)
            parser.read(ini, encoding="utf-8")
            wording[language] = {s: dict(parser[s]) for s in parser.sections()}
    return TemplateSet.of(templates, wording)


NOTICE_DIR = Path(__file__).resolve().parents[1] / "notice_templates"


def load_notice_templates(folder: Path = NOTICE_DIR) -> TemplateSet:
    """The safeguard notices (``consent-widened``): a folder of their own, so a deployment's
    own ``NOTIFICATIONS_TEMPLATES_DIR`` for news of help never has to carry them."""
    templates = load_templates(folder)
    problems = [p for p in templates.problems(templates.ids()) if "_footer" not in p]
    if problems:
        raise TemplateError("notice templates: " + "; ".join(problems))
    return templates
