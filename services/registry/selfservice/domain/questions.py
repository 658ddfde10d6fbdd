"""The "Tell us you are a carer" question pages (issue 17): which pages, in which order.

GOV.UK's question pages pattern: one thing per page, then "Check your answers" with a Change
link for each, then a confirmation. Pure: the answers are a flat map of the single-page
form's field names (``given-name``, ``cared-1-needs`` ...) to a string or a list of strings,
so the same :func:`~services.registry.selfservice.entrypoints.forms.identification_from_form`
turns either into a ``carer.identified`` body and nothing is validated twice.

Which pages there are depends on the answers: the "the carer agreed" page only for someone
filling it in for a carer; a page per person cared for (up to three), each followed by "Do you
care for anyone else?"; the contact details page asks for what the chosen channel needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SLOTS = 3
"""People cared for, one page each; more can be told in the carer's own words."""


@dataclass(frozen=True)
class Question:
    """One page: its address, its question (the page's heading) and the fields it asks."""

    slug: str
    title: str
    easy_title: str
    fields: tuple[str, ...]
    optional: bool = False
    """The page may be left empty (Continue without answering)."""


def _cared(slot: int) -> Question:
    who = "Who do you care for?" if slot == 1 else f"Tell us about person {slot}"
    return Question(
        f"cared-for-{slot}",
        who,
        "Who do you look after?" if slot == 1 else f"Person {slot} you look after",
        (f"cared-{slot}-relationship", f"cared-{slot}-needs", f"cared-{slot}-lives"),
    )


def _another(slot: int) -> Question:
    return Question(
        f"another-{slot}",
        "Do you care for anyone else?",
        "Do you look after anyone else?",
        (f"cared-{slot}-another",),
    )


FILLING_FOR = Question(
    "filling-for", "Who is filling in this form?", "Who is filling in this form?", ("filling-for",)
)
AGREED = Question(
    "agreed",
    "Has the carer agreed to you telling us about them?",
    "Did the carer say yes?",
    ("agreed",),
)
NAME = Question("name", "What is your name?", "What is your name?", ("given-name", "family-name"))
DATE_OF_BIRTH = Question(
    "date-of-birth",
    "What is your date of birth?",
    "When were you born?",
    ("dob-day", "dob-month", "dob-year"),
)
POSTCODE = Question("postcode", "What is your postcode?", "What is your postcode?", ("postcode",))
NHS_NUMBER = Question(
    "nhs-number",
    "What is your NHS number?",
    "Do you know your NHS number?",
    ("nhs-number",),
    optional=True,
)
SUPPORT = Question(
    "support", "What would help you?", "What would help you?", ("support",), optional=True
)
STORY = Question(
    "your-words",
    "Tell us about your caring, in your own words",
    "Tell us about your caring",
    ("story",),
    optional=True,
)
SHARE = Question(
    "share",
    "Who can we share your details with?",
    "Who can we tell about you?",
    ("share",),
    optional=True,
)
CONTACT = Question(
    "contact",
    "Can we contact you about your support?",
    "Can we contact you?",
    ("contact",),
)
CONTACT_BY = Question(
    "contact-by",
    "How would you like us to contact you?",
    "How should we contact you?",
    ("channel", "easy-read"),
)
CONTACT_DETAILS = Question(
    "contact-details",
    "Your email address and mobile number",
    "Your email and mobile phone",
    ("email", "mobile"),
)


def one(answers: dict[str, Any], name: str) -> str:
    value = answers.get(name)
    return str(value).strip() if isinstance(value, str) else ""


def cared_slots(answers: dict[str, Any]) -> int:
    """How many people cared for the answers describe: 1, and one more for each "yes"."""
    slots = 1
    while slots < SLOTS and one(answers, f"cared-{slots}-another") == "yes":
        slots += 1
    return slots


def questions(answers: dict[str, Any]) -> list[Question]:
    """The pages for these answers, in order."""
    pages = [FILLING_FOR]
    if one(answers, "filling-for") == "someone-else":
        pages.append(AGREED)
    pages += [NAME, DATE_OF_BIRTH, POSTCODE, NHS_NUMBER]
    slots = cared_slots(answers)
    for slot in range(1, slots + 1):
        pages.append(_cared(slot))
        if slot < SLOTS:
            pages.append(_another(slot))
    pages += [SUPPORT, STORY, SHARE, CONTACT, CONTACT_BY, CONTACT_DETAILS]
    return pages


def question(answers: dict[str, Any], slug: str) -> Question | None:
    """The page ``slug`` if these answers have it (a page for person 3 needs two "yes")."""
    return next((q for q in questions(answers) if q.slug == slug), None)


def next_page(answers: dict[str, Any], slug: str) -> str | None:
    """The page after ``slug`` for these answers, or None after the last ("Check your
    answers" comes next). Answering can add pages: a "yes" to someone else adds a person."""
    pages = [q.slug for q in questions(answers)]
    if slug not in pages:
        return pages[0]
    at = pages.index(slug)
    return pages[at + 1] if at + 1 < len(pages) else None


def previous_page(answers: dict[str, Any], slug: str) -> str | None:
    """The page before ``slug`` (the Back link), or None for the first."""
    pages = [q.slug for q in questions(answers)]
    if slug not in pages:
        return pages[-1]
    at = pages.index(slug)
    return pages[at - 1] if at > 0 else None


def first_unanswered(answers: dict[str, Any], done: list[str]) -> str | None:
    """The first page not yet answered, or None when every page has been."""
    return next((q.slug for q in questions(answers) if q.slug not in done), None)


def sendable(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as the single-page form would have posted them: fields of pages these
    answers no longer have (person 3 after "no, nobody else") are left out."""
    kept = {name for q in questions(answers) for name in q.fields}
    return {name: value for name, value in answers.items() if name in kept}
