"""A FHIR R4 Consent read as a decision about the three partners (GP, council, VASL).

Partners' systems write Consent the way FHIR R4 and UK Core describe it, not the way our
contract's v1 example does, so both are read here:

- **v1 shape** (the contract's example): the root ``provision.type`` is ``permit`` or ``deny``
  and its ``actor`` list names the partners. Kept working as it always did.
- **R4 shape**: FHIR R4 says ``provision.type`` is *not permitted* in the root rule and is
  *required* in nested rules. The base decision then comes from ``policyRule`` (v3-ActCode
  ``OPTIN``/``OPTINR``: permit; ``OPTOUT``/``OPTOUTE``: deny) and nested ``permit``/``deny``
  provisions name the partners as actors; a deeper provision overrides a shallower one for
  the partners it names. A provision whose ``period`` does not cover now does not apply.

``status`` decides first: ``active`` is read as above; ``inactive`` and ``rejected`` are a
clear "no" (no sharing, no contact); ``draft``, ``proposed`` and ``entered-in-error`` are not
a decision at all. A Consent that cannot be read as a clear decision (no partner named where
the base does not already say "no", a nested rule without a type, an actor that is not one of
the partners) is refused with an OperationOutcome saying what is missing: storing it as "no
consent" would silently deny the carer the referral and contact they agreed to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

PARTNER = "https://carers-connect.example/Id/partner"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTNERS = ("gp", "council", "vasl")
POLICY_RULES = {"OPTIN": "permit", "OPTINR": "permit", "OPTOUT": "deny", "OPTOUTE": "deny"}
_NOT_DECIDED = {
    "draft": "a draft Consent is not the carer's decision yet: send it once it is active",
    "proposed": "a proposed Consent is not the carer's decision yet: send it once it is active",
    "entered-in-error": "a Consent entered in error says nothing: leave it out of the message",
}

Fail = Callable[[str, str, str], None]
"""``fail(issue_type, text, fhirpath)``: report one problem (``adapters.fhir``'s translator)."""
Resolve = Callable[[Any], Any]
"""The in-Bundle resource a Reference points to, or None."""


@dataclass
class _Reading:
    fail: Fail
    resolve: Resolve
    now: datetime
    decisions: dict[str, str] = field(default_factory=dict)  # partner -> permit | deny
    failed: bool = False

    def refuse(self, code: str, text: str, at: str) -> None:
        self.failed = True
        self.fail(code, text, at)

    def walk(self, provision: Any, at: str, inherited: str | None, depth: int) -> None:
        """Apply ``provision`` and its nested rules, shallow first, in document order."""
        kind = getattr(provision, "type", None)
        if depth > 0 and kind is None:
            self.refuse("required", "a nested provision needs a type: permit or deny", f"{at}.type")
            return
        if not _in_force(getattr(provision, "period", None), self.now):
            return
        decision = kind or inherited
        for partner in self.actors(provision, at):
            if decision is None:
                text = (
                    "the Consent names partners but not whether it permits or denies: give "
                    f"policyRule ({V3_ACT_CODE} OPTIN or OPTOUT) or nested permit provisions"
                )
                self.refuse("required", text, at)
                return
            self.decisions[partner] = decision
        for i, nested in enumerate(getattr(provision, "provision", None) or []):
            self.walk(nested, f"{at}.provision[{i}]", decision, depth + 1)

    def actors(self, provision: Any, at: str) -> list[str]:
        """The partners named as actors: by identifier, or by a reference to a Bundle entry
        (an Organization, say) carrying that identifier."""
        named: list[str] = []
        for a, actor in enumerate(getattr(provision, "actor", None) or []):
            reference = actor.reference
            identifiers = [reference.identifier] if reference.identifier is not None else []
            target = self.resolve(reference) if reference.reference else None
            identifiers += list(getattr(target, "identifier", None) or [])
            values = [i.value for i in identifiers if i.system == PARTNER and i.value in PARTNERS]
            if not values:
                text = f"name the partner by identifier system {PARTNER}: gp, council or vasl"
                self.refuse("value", text, f"{at}.actor[{a}].reference.identifier")
            named += [v for v in values[:1] if v not in named]
        return named


def _in_force(period: Any, now: datetime) -> bool:
    if period is None:
        return True
    start, end = _moment(period.start), _moment(period.end)
    return (start is None or start <= now) and (end is None or now <= end)


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def policy_decision(resource: Any) -> str | None:
    """``permit`` or ``deny`` from ``policyRule`` (v3-ActCode OPTIN/OPTOUT...), else None."""
    rule = getattr(resource, "policyRule", None)
    codes = [c.code for c in getattr(rule, "coding", None) or [] if c.system == V3_ACT_CODE]
    return next((POLICY_RULES[c] for c in codes if c in POLICY_RULES), None)


def read_consent(
    resource: Any, at: str, fail: Fail, resolve: Resolve, now: datetime
) -> dict[str, Any] | None:
    """``{"share_with", "contact"}`` (and ``recorded_at``) the Consent decides, or None after
    reporting through ``fail`` why it decides nothing clear."""
    status = resource.status
    if status in _NOT_DECIDED:
        fail("value", _NOT_DECIDED[status], f"{at}.status")
        return None
    consent: dict[str, Any] = {"share_with": [], "contact": False}
    if isinstance(resource.dateTime, datetime) and resource.dateTime.tzinfo is not None:
        consent["recorded_at"] = resource.dateTime.isoformat()
    if status != "active":  # inactive or rejected: a clear no
        return consent
    root = resource.provision
    base = policy_decision(resource)
    explicit = getattr(root, "type", None)  # the contract's v1 shape
    if root is None and base is None:
        text = (
            "an active Consent needs a provision naming the partners (gp, council, vasl) the "
            "carer agrees to share with, or policyRule OPTOUT for a refusal"
        )
        fail("required", text, f"{at}.provision")
        return None
    reading = _Reading(fail, resolve, now)
    if root is not None:
        if not _in_force(root.period, now):
            return consent  # the whole Consent has lapsed: no sharing, no contact
        reading.walk(root, f"{at}.provision", explicit or base, 0)
    if reading.failed:
        return None  # what is missing is reported; a guess would be worse
    share_with = [p for p, d in reading.decisions.items() if d == "permit"]
    if explicit is not None:
        return consent | {"share_with": share_with, "contact": explicit == "permit"}
    if not reading.decisions and base != "deny":
        text = (
            "the Consent does not say which partners the carer agrees to share with: name gp, "
            f"council or vasl as actors (identifier system {PARTNER}) in permit provisions"
        )
        fail("required", text, f"{at}.provision")
        return None
    return consent | {"share_with": share_with, "contact": bool(share_with)}
