"""Reading the referral team's forms into the API's terms, with GOV.UK style messages.

The outcome form asks one question at a time in the page, but produces the same outcome
object the API takes, and the domain checks both the same way. Here are only what a form
adds: which control each field is, and messages written for the person at the screen
("Enter the amount of the direct payment") rather than for a developer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services.referrals.domain.outcomes import InvalidOutcome
from shared.web.forms import FieldError

# Outcome field (dotted, as the domain names it) -> (control id, label for "must" messages)
CONTROLS: dict[str, tuple[str, str]] = {
    "type": ("outcome-type", "The outcome"),
    "eligible_needs": ("eligible-needs", "Eligible needs"),
    "joint": ("joint", "Joint assessment"),
    "direct_payment": ("direct-payment", "Direct payment"),
    "direct_payment.kind": ("direct-payment", "Direct payment"),
    "direct_payment.amount": ("amount", "Amount"),
    "number": ("passport-number", "Passport number"),
    "issued_on": ("issued-on-day", "Date the passport was issued"),
    "to": ("signposted-to", "Who you signposted the carer to"),
}
OUTCOME_LABELS = {
    "assessment_completed": "Assessment completed",
    "passport_issued": "Young carer passport issued",
    "signposted": "Signposted elsewhere",
}
REASON_QUESTIONS = {
    "decline": "Why are you declining this referral?",
    "withdraw": "Why are you withdrawing this referral?",
}
REASON_MISSING = {
    "decline": "Enter why you are declining this referral",
    "withdraw": "Enter why you are withdrawing this referral",
}


def field_error(invalid: InvalidOutcome) -> FieldError:
    """The domain's complaint about an outcome, as a message beside its control."""
    control, label = CONTROLS.get(invalid.field, ("outcome-type", "The outcome"))
    message = invalid.message
    text = f"{label} {message}" if message.startswith("must") else message[:1].upper() + message[1:]
    return FieldError(f"outcome.{invalid.field}", text, control)


def _error(field: str, message: str) -> FieldError:
    return FieldError(f"outcome.{field}", message, CONTROLS[field][0])


def _date(form: Mapping[str, str], errors: list[FieldError]) -> str | None:
    """The day, month and year boxes as an ISO date, with the Design System's messages."""
    parts = {name: form.get(f"issued-on-{name}", "").strip() for name in ("day", "month", "year")}
    if not any(parts.values()):
        errors.append(_error("issued_on", "Enter the date the passport was issued"))
        return None
    missing = [name for name, value in parts.items() if not value]
    if missing:
        message = f"Date the passport was issued must include a {' and '.join(missing)}"
        errors.append(FieldError("outcome.issued_on", message, f"issued-on-{missing[0]}"))
        return None
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors.append(_error("issued_on", "Date the passport was issued must be a real date"))
        return None
    return day.isoformat()


def outcome_from_form(form: Mapping[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    """The outcome the form describes, and what is missing from it."""
    errors: list[FieldError] = []
    kind = form.get("outcome-type", "")
    if kind not in OUTCOME_LABELS:
        return {}, [_error("type", "Select the outcome of the referral")]
    outcome: dict[str, Any] = {"type": kind}
    if kind == "assessment_completed":
        eligible = form.get("eligible-needs", "")
        if eligible not in ("yes", "no"):
            errors.append(_error("eligible_needs", "Select yes if the carer has eligible needs"))
        else:
            outcome["eligible_needs"] = eligible == "yes"
        if form.get("joint") == "yes":  # optional: not joint unless said so
            outcome["joint"] = True
        payment = form.get("direct-payment", "")
        if payment not in ("none", "weekly", "one_off"):
            errors.append(_error("direct_payment", "Select whether a direct payment was agreed"))
        elif payment != "none":
            amount = form.get("amount", "").strip()
            if not amount:
                errors.append(
                    _error("direct_payment.amount", "Enter the amount of the direct payment")
                )
            outcome["direct_payment"] = {"kind": payment, "amount": amount}
    elif kind == "passport_issued":
        number = form.get("passport-number", "").strip()
        if not number:
            errors.append(_error("number", "Enter the passport number"))
        outcome["number"] = number
        outcome["issued_on"] = _date(form, errors)
    else:
        to = form.get("signposted-to", "").strip()
        if not to:
            errors.append(_error("to", "Enter who you signposted the carer to"))
        outcome["to"] = to
    return outcome, errors
