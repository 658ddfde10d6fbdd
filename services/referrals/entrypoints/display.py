"""Words and formats for the referral team's pages (GOV.UK style: plain English, "2 March
2026", "10:30am"), registered as Jinja filters and globals by ``bootstrap()``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment

from services.referrals.domain.working_days import LOCAL

SERVICE_NAMES = {
    "vasl": "VASL carers support",
    "carers_assessment": "Carers assessment (Care Act)",
    "young_carers": "Young carers team",
    "support_at_home": "Support at home",
}
STATUS_TAGS = {
    "requested": ("New", "govuk-tag--blue"),
    "accepted": ("Accepted", "govuk-tag--turquoise"),
    "completed": ("Completed", "govuk-tag--green"),
    "declined": ("Declined", "govuk-tag--orange"),
    "withdrawn": ("Withdrawn", "govuk-tag--grey"),
}
STATUS_FILTERS = [
    ("open", "Open (new or accepted)"),
    ("requested", "New"),
    ("accepted", "Accepted"),
    ("completed", "Completed"),
    ("declined", "Declined"),
    ("withdrawn", "Withdrawn"),
    ("", "Any status"),
]
CATEGORIES = {
    "young_carer": "Young carer (under 18)",
    "young_adult_carer": "Young adult carer (18 to 25)",
    "adult_carer": "Adult carer",
}
IDENTIFIER_KINDS = {
    "gp": "GP practice",
    "hospital": "Hospital",
    "council": "Council",
    "vasl": "VASL",
    "school": "School",
    "self": "The carer themselves",
    "other": "Other",
}
DONE_MESSAGES = {
    "accepted": "Referral accepted",
    "declined": "Referral declined",
    "completed": "Referral completed",
    "withdrawn": "Referral withdrawn",
}


def long_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL).date()
    return f"{value.day} {value:%B %Y}"


def date_time(value: datetime | str | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(LOCAL)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{long_date(local)} at {hour}:{local.minute:02d}{suffix}"


def words(value: str | None) -> str:
    """``physical_disability`` -> ``physical disability``."""
    return (value or "").replace("_", " ")


def carer_name(contact: dict[str, Any]) -> str:
    name = " ".join(p for p in (contact.get("given_name"), contact.get("family_name")) if p)
    return name or "Name not given"


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def who(subject: str) -> str:
    """A history entry's actor: a person's token subject, or the rules themselves."""
    if subject.startswith("urn:carers:"):
        return "Carers Connect (automatically)"
    return subject


def register(env: Environment, *, working_days: int = 5) -> None:
    """The filters and globals every page uses; ``working_days`` is the service level the
    queue and each referral state (from the service's settings)."""
    env.filters.update(
        long_date=long_date,
        date_time=date_time,
        words=words,
        carer_name=carer_name,
        paragraphs=paragraphs,
        who=who,
    )
    env.globals.update(
        service_names=SERVICE_NAMES,
        status_tags=STATUS_TAGS,
        categories=CATEGORIES,
        identifier_kinds=IDENTIFIER_KINDS,
        done_messages=DONE_MESSAGES,
        working_days=working_days,
    )
