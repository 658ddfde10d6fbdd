"""What a completed referral achieved, in the shapes the registry's status snapshot reads.

The registry (``Carer.apply_referral``) keeps the carer's ``assessment`` and
``young_carer_passport`` from ``referral.completed`` events, so these shapes are a contract:

- ``assessment_completed`` (carers_assessment, young_carers, support_at_home):
  ``eligible_needs`` (true or false) and, only with eligible needs (a direct payment meets
  them), an optional ``direct_payment``: ``{"kind": "weekly" | "one_off", "amount": "123.45"}``,
  and an optional ``joint`` (true when assessed jointly with the cared-for person; absent
  means false, so outcomes recorded before it existed still read the same).
- ``passport_issued`` (young_carers): ``number`` (text) and ``issued_on`` (ISO date, not in
  the future).
- ``signposted`` (every service): ``to``, who the carer was pointed to (text).

Amounts are strings with two decimal places (pounds and pence), never floats, so no partner
reads 120.1 for 120.10. Anything else in an outcome is refused, naming the field, rather than
stored unread.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

OUTCOME_TYPES_FOR_SERVICE: dict[str, tuple[str, ...]] = {
    "carers_assessment": ("assessment_completed", "signposted"),
    "young_carers": ("assessment_completed", "passport_issued", "signposted"),
    "support_at_home": ("assessment_completed", "signposted"),
    "vasl": ("signposted",),
}
DIRECT_PAYMENT_KINDS = ("weekly", "one_off")
MAX_AMOUNT = Decimal("100000.00")
_FIELDS = {
    "assessment_completed": {"type", "eligible_needs", "direct_payment", "joint"},
    "passport_issued": {"type", "number", "issued_on"},
    "signposted": {"type", "to"},
}


class InvalidOutcome(ValueError):
    """An outcome that cannot be recorded; ``field`` is its dotted path inside the outcome."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"outcome.{field}: {message}")
        self.field = field
        self.message = message


def check_outcome(service: str, raw: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The outcome, normalised, or :class:`InvalidOutcome` naming the first field at fault."""
    if not isinstance(raw, Mapping):
        raise InvalidOutcome("type", "the outcome must be an object with a type")
    allowed = OUTCOME_TYPES_FOR_SERVICE[service]
    kind = raw.get("type")
    if kind not in allowed:
        raise InvalidOutcome("type", f"must be one of {', '.join(allowed)} for {service}")
    unknown = sorted(set(raw) - _FIELDS[kind])
    if unknown:
        raise InvalidOutcome(unknown[0], f"is not a field of a {kind} outcome")
    if kind == "assessment_completed":
        return _assessment(raw)
    if kind == "passport_issued":
        return _passport(raw, today)
    return {"type": "signposted", "to": _text(raw, "to", 200)}


def _assessment(raw: Mapping[str, Any]) -> dict[str, Any]:
    eligible = raw.get("eligible_needs")
    if not isinstance(eligible, bool):
        raise InvalidOutcome("eligible_needs", "say whether the carer has eligible needs")
    outcome: dict[str, Any] = {"type": "assessment_completed", "eligible_needs": eligible}
    joint = raw.get("joint", False)
    if not isinstance(joint, bool):
        raise InvalidOutcome("joint", "say whether it was a joint assessment (true or false)")
    if joint:
        outcome["joint"] = True
    payment = raw.get("direct_payment")
    if payment is None:
        return outcome
    if not eligible:
        raise InvalidOutcome(
            "direct_payment", "a direct payment is only made to meet eligible needs"
        )
    if not isinstance(payment, Mapping):
        raise InvalidOutcome("direct_payment", "must be an object with kind and amount")
    if payment.get("kind") not in DIRECT_PAYMENT_KINDS:
        raise InvalidOutcome("direct_payment.kind", "must be weekly or one_off")
    unknown = sorted(set(payment) - {"kind", "amount"})
    if unknown:
        raise InvalidOutcome(f"direct_payment.{unknown[0]}", "is not a field of a direct payment")
    outcome["direct_payment"] = {"kind": payment["kind"], "amount": amount(payment.get("amount"))}
    return outcome


def amount(value: Any) -> str:
    """Pounds and pence as "123.45"; refuses floats' cousins: nothing negative, zero, or
    with fractions of a penny."""
    field = "direct_payment.amount"
    if isinstance(value, bool) or value is None or value == "":
        raise InvalidOutcome(field, "enter the amount of the direct payment")
    text = str(value).strip().removeprefix("£").replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidOutcome(field, "must be an amount in pounds, like 120.50") from None
    if not number.is_finite() or number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidOutcome(field, "must be in pounds and pence, like 120.50")
    if number <= 0:
        raise InvalidOutcome(field, "must be more than £0")
    if number > MAX_AMOUNT:
        raise InvalidOutcome(field, f"must be £{MAX_AMOUNT:,} or less")
    return f"{number:.2f}"


def _passport(raw: Mapping[str, Any], today: date) -> dict[str, Any]:
    number = _text(raw, "number", 40)
    issued = raw.get("issued_on")
    if not isinstance(issued, str | date) or not issued:
        raise InvalidOutcome("issued_on", "enter the date the passport was issued")
    try:
        issued_on = issued if isinstance(issued, date) else date.fromisoformat(issued)
    except ValueError:
        raise InvalidOutcome("issued_on", "must be a real date, like 2026-03-02") from None
    if issued_on > today:
        raise InvalidOutcome("issued_on", "must be today or in the past")
    return {"type": "passport_issued", "number": number, "issued_on": issued_on.isoformat()}


def _text(raw: Mapping[str, Any], name: str, longest: int) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidOutcome(name, "must not be empty")
    if len(value.strip()) > longest:
        raise InvalidOutcome(name, f"must be {longest} characters or fewer")
    return value.strip()


def erased(outcome: dict[str, Any] | None) -> dict[str, Any] | None:
    """What of an outcome survives the carer's erasure: the kind of result, for counting;
    not a passport number or free text that could point back to the person."""
    if outcome is None:
        return None
    return {k: v for k, v in outcome.items() if k not in ("number", "to")}
