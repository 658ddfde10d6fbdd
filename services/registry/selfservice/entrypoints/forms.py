"""The "tell us you are a carer" form: labels, and from posted fields to a ``carer.identified``
body, or to errors in the GOV.UK style naming the control at fault.

The body is validated by the contract's own model (``CarerIdentified``), so the pages cannot
accept what a partner's message could not; messages are rewritten for the public.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import EmailStr, TypeAdapter, ValidationError

from shared.events import CarerIdentified, UkMobile
from shared.web.forms import FieldError

SLOTS = 3  # people cared for on one page, without JavaScript; more can be told in the story

RELATIONSHIPS = [
    ("parent", "My parent", "My mum or dad"),
    ("child", "My child", "My child"),
    ("spouse_or_partner", "My husband, wife or partner", "My husband, wife or partner"),
    ("sibling", "My brother or sister", "My brother or sister"),
    ("grandparent", "My grandparent", "My grandparent"),
    ("grandchild", "My grandchild", "My grandchild"),
    ("other_relative", "Another relative", "Someone else in my family"),
    ("friend", "A friend", "A friend"),
    ("neighbour", "A neighbour", "A neighbour"),
    ("other", "Someone else", "Someone else"),
]
NEEDS = [
    ("physical_disability", "A physical disability", "Finds it hard to move about"),
    ("learning_disability", "A learning disability", "A learning disability"),
    ("long_term_illness", "A long-term illness", "An illness that lasts a long time"),
    ("mental_health", "A mental health condition", "Mental health, how they feel"),
    ("substance_misuse", "Alcohol or drug use", "Alcohol or drugs"),
    ("dementia", "Dementia or memory problems", "Dementia, forgets things"),
    ("sensory_impairment", "Sight or hearing loss", "Cannot see or hear well"),
    ("frailty", "Frailty or old age", "Frail or old"),
    ("terminal_illness", "A terminal illness", "Very ill and will not get better"),
    ("other", "Something else", "Something else"),
]
SUPPORT = [
    (
        "carers_assessment",
        "A carer's assessment from the council",
        "A talk with the council about what would help me",
    ),
    (
        "vasl_support",
        "Advice and support from VASL, the carers support service",
        "Help from VASL, a charity for carers",
    ),
    ("young_carers_support", "Support for young carers (under 18)", "Help for young carers"),
    ("respite", "A break from caring", "A break from caring"),
    ("information", "Information about support for carers", "Information"),
]
CHANNELS = [
    ("email", "Email", "Email"),
    ("sms", "Text message", "Text message"),
    ("post", "Letter", "Letter"),
    ("phone", "Phone call", "Phone call"),
]

_CONTROL = {
    "nhs_number": ("nhs-number", "Enter a valid NHS number, like 943 476 5919, or leave it empty"),
    "given_name": ("given-name", "Enter your first name"),
    "family_name": ("family-name", "Enter your last name"),
    "date_of_birth": ("dob-day", "Date of birth must be a real date in the past"),
    "postcode": ("postcode", "Enter a real postcode, like LE1 6ZG"),
    "email": ("email", "Enter an email address in the correct format, like name@example.com"),
    "mobile": ("mobile", "Enter a UK mobile number, like 07700 900123"),
    "story": ("story", "What you tell us must be 10,000 characters or fewer"),
}


def _one(form: Any, name: str) -> str:
    return str(form.get(name) or "").strip()


def date_of_birth(form: Any, prefix: str = "dob") -> date | None:
    try:
        return date(
            int(_one(form, f"{prefix}-year")),
            int(_one(form, f"{prefix}-month")),
            int(_one(form, f"{prefix}-day")),
        )
    except ValueError:
        return None


def identification_from_form(form: Any, *, easy: bool) -> tuple[dict[str, Any], list[FieldError]]:
    """The ``carer.identified`` body and the errors (empty when it can be sent)."""
    errors: list[FieldError] = []
    filling_for = _one(form, "filling-for")
    if filling_for not in ("me", "someone-else"):
        errors.append(
            FieldError("filling_for", "Select who is filling in this form", "filling-for")
        )
    elif filling_for == "someone-else" and _one(form, "agreed") != "yes":
        errors.append(
            FieldError("agreed", "Confirm the carer agreed to you telling us about them", "agreed")
        )
    for name, control, message in (
        ("given_name", "given-name", "Enter your first name"),
        ("family_name", "family-name", "Enter your last name"),
        ("postcode", "postcode", "Enter your postcode"),
    ):
        if not _one(form, control):
            errors.append(FieldError(f"person.{name}", message, control))
    dob = date_of_birth(form)
    if dob is None:
        errors.append(
            FieldError(
                "person.date_of_birth", "Enter your date of birth, like 27 3 1968", "dob-day"
            )
        )

    caring_for, slot_errors = _caring_for(form)
    errors += slot_errors
    channel = _one(form, "channel")
    if channel not in {c for c, _, _ in CHANNELS}:
        errors.append(
            FieldError("preferences", "Select how you would like us to contact you", "channel")
        )
    contact = _one(form, "contact")
    if contact not in ("yes", "no"):
        errors.append(FieldError("consent.contact", "Select yes if we may contact you", "contact"))
    email, mobile = _one(form, "email") or None, _one(form, "mobile") or None
    if channel == "email" and not email:
        errors.append(
            FieldError(
                "person.email",
                "Enter your email address, or choose another way to contact you",
                "email",
            )
        )
    if channel == "sms" and not mobile:
        errors.append(
            FieldError(
                "person.mobile",
                "Enter your mobile number, or choose another way to contact you",
                "mobile",
            )
        )
    channels = [channel] if channel else []
    channels += [c for c, have in (("email", email), ("sms", mobile)) if have and c not in channels]
    body: dict[str, Any] = {
        "identified_by": {
            "kind": "self",
            "org_name": "Told us themselves online"
            if filling_for != "someone-else"
            else "Someone told us for them online, with their agreement",
        },
        "person": {
            "nhs_number": _one(form, "nhs-number") or None,
            "given_name": _one(form, "given-name") or None,
            "family_name": _one(form, "family-name") or None,
            "date_of_birth": dob.isoformat() if dob else None,
            "postcode": _one(form, "postcode") or None,
            "email": email,
            "mobile": mobile,
        },
        "caring_for": caring_for,
        "preferences": {
            "contact_channels": channels,
            "easy_read": easy or _one(form, "easy-read") == "yes",
            "language": "en",
        },
        "consent": {"share_with": _list(form, "share"), "contact": contact == "yes"},
        "support_requested": _list(form, "support"),
        "story": _one(form, "story") or None,
    }
    if not errors:
        errors += contract_errors(body)
    return body, errors


def _list(form: Any, name: str) -> list[str]:
    values = form.getlist(name) if hasattr(form, "getlist") else form.get(name) or []
    return list(dict.fromkeys(str(v) for v in values))


def _caring_for(form: Any) -> tuple[list[dict[str, Any]], list[FieldError]]:
    people: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for slot in range(1, SLOTS + 1):
        relationship = _one(form, f"cared-{slot}-relationship")
        needs = _list(form, f"cared-{slot}-needs")
        lives = _one(form, f"cared-{slot}-lives")
        if not relationship and not needs:
            if slot == 1:
                errors.append(
                    FieldError("caring_for", "Select who you care for", "cared-1-relationship")
                )
            continue
        if not relationship:
            errors.append(
                FieldError(
                    f"caring_for.{slot}",
                    f"Select who person {slot} is to you",
                    f"cared-{slot}-relationship",
                )
            )
        if not needs:
            errors.append(
                FieldError(
                    f"caring_for.{slot}.needs",
                    f"Select what person {slot} needs help with",
                    f"cared-{slot}-needs",
                )
            )
        person: dict[str, Any] = {"relationship": relationship or "other", "needs": needs}
        if lives in ("yes", "no"):
            person["lives_with_carer"] = lives == "yes"
        people.append(person)
    return people, errors


def contract_errors(body: dict[str, Any]) -> list[FieldError]:
    """The contract model's verdict on ``body``, in words for the public."""
    try:
        CarerIdentified.model_validate(body)
    except ValidationError as invalid:
        found: list[FieldError] = []
        for error in invalid.errors():
            loc = [str(p) for p in error["loc"]]
            leaf = next((p for p in reversed(loc) if p in _CONTROL), None)
            if leaf is not None:
                control, message = _CONTROL[leaf]
            elif loc and loc[0] == "caring_for" and len(loc) > 1:
                control, message = f"cared-{int(loc[1]) + 1}-relationship", "Check who you care for"
            else:
                control, message = "", "Check your answers: " + str(error["msg"])
            if all(e.control_id != control for e in found):
                found.append(FieldError(".".join(loc), message, control))
        return found
    return []


def consent_from_form(form: Any) -> tuple[list[str], bool | None]:
    share = [p for p in _list(form, "share") if p in ("gp", "council", "vasl")]
    contact = _one(form, "contact")
    return share, (contact == "yes") if contact in ("yes", "no") else None


_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)
_MOBILE: TypeAdapter[str] = TypeAdapter(UkMobile)


def contact_errors(email: str | None, mobile: str | None) -> list[FieldError]:
    """Problems with contact details typed on their own (the "how we contact you" form)."""
    found = []
    for name, value, adapter in (("email", email, _EMAIL), ("mobile", mobile, _MOBILE)):
        if value:
            try:
                adapter.validate_python(value)
            except ValidationError:
                found.append(FieldError(f"person.{name}", _CONTROL[name][1], name))
    return found


# -- the question pages: one page's answers, and only that page's errors ----------------------

_COMPLETE: dict[str, Any] = {
    "filling-for": "me",
    "given-name": "Sample",
    "family-name": "Carer",
    "dob-day": "1",
    "dob-month": "1",
    "dob-year": "1970",
    "postcode": "LE1 6ZG",
    "cared-1-relationship": "parent",
    "cared-1-needs": ["other"],
    "contact": "no",
    "channel": "post",
}
"""Answers that make a sendable form, standing in for pages not yet answered."""


def is_list_field(name: str) -> bool:
    """Fields with several values (checkboxes of several options)."""
    return name.endswith("-needs") or name in ("support", "share")


def answers_from_form(form: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """What one question page posted, for its ``fields`` only (empty when left empty)."""
    return {name: _list(form, name) if is_list_field(name) else _one(form, name) for name in fields}


def question_errors(
    answers: dict[str, Any], fields: tuple[str, ...], *, easy: bool
) -> list[FieldError]:
    """The errors a page's answers have, judged as the whole form would judge them (the
    contract's own model included) with every other page standing in as answered, so a page
    names only its own problems and the check at the end finds none it did not."""
    merged = {**_COMPLETE, **answers}
    _, errors = identification_from_form(merged, easy=easy)
    mine = [e for e in errors if e.control_id in fields]
    for name in fields:  # a person after "yes, someone else" must be described
        if name.endswith("-relationship") and name != "cared-1-relationship":
            slot = name.split("-")[1]
            if not _one(merged, name) and not _list(merged, f"cared-{slot}-needs"):
                mine.insert(
                    0, FieldError(f"caring_for.{slot}", f"Select who person {slot} is to you", name)
                )
    return mine
