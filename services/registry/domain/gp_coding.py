"""Who is on a GP practice's "carers to code" list (issue 17, item 3). Pure: no I/O.

Carers say GP registration of carers is inconsistent: a carer told the council, a hospital
or VASL that they care for someone, but their own practice never recorded it, so the
practice cannot offer a carer's health check or flu jab. The registry knows the practice a
carer is registered with (``person.gp_practice_ods`` on ``carer.identified``, or FHIR
``Patient.generalPractitioner``) and whether that practice has coded them (``gp.carer_coded``).

A carer is on the practice's list when all three hold:

- they named the practice (the latest practice we were told of);
- they consented to share with ``gp`` (their agreement to share with *their* GP);
- that practice has not coded them (a coding by another practice does not count: it is the
  registered practice's record that needs the code).

Each (carer, practice) is suggested once, ever: the first time the carer joins the list a
``gp.coding_suggested`` event is published; leaving the list (coded, consent withdrawn, moved
practice) closes the item, and joining it again (consent given again) reopens it on the list
without telling the GP system twice. A coded item stays closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.registry.domain.model import Carer

SUGGESTED_SNOMED_CODE = "224484003"
SUGGESTED_SNOMED_DISPLAY = "Patient themselves providing care"
"""The SNOMED CT concept a practice is asked to record ("is a carer"); any recognised carer
code in its ``gp.carer_coded`` closes the item."""


class Status:
    """The state of one (carer, practice) item, stored as these strings."""

    OPEN = "open"
    CODED = "coded"
    WITHDRAWN = "withdrawn"  # consent to share with the GP withdrawn
    MOVED = "moved"  # the carer now names another practice


def _ods(code: str | None) -> str | None:
    return code.strip().upper() if code and code.strip() else None


def practice_to_code(carer: Carer) -> str | None:
    """The practice whose list this carer belongs on, or None: the rule above."""
    practice = _ods(carer.gp_practice_ods)
    if practice is None or "gp" not in (carer.consent.get("share_with") or []):
        return None
    if _ods((carer.gp_coded or {}).get("practice_ods_code")) == practice:
        return None
    return practice


@dataclass
class Plan:
    """What to store and publish for one carer after a change to their record."""

    close: dict[str, str] = field(default_factory=dict)  # practice -> new status
    reopen: str | None = None
    suggest: str | None = None  # a new item: stored open AND published


def plan(carer: Carer, items: dict[str, str]) -> Plan:
    """Decide against the carer's stored items (practice -> status)."""
    wanted = practice_to_code(carer)
    coded_by = _ods((carer.gp_coded or {}).get("practice_ods_code"))
    result = Plan()
    for practice, status in items.items():
        if status != Status.OPEN or practice == wanted:
            continue
        if practice == coded_by:
            result.close[practice] = Status.CODED
        elif practice == _ods(carer.gp_practice_ods):
            result.close[practice] = Status.WITHDRAWN
        else:
            result.close[practice] = Status.MOVED
    if wanted is not None:
        held = items.get(wanted)
        if held is None:
            result.suggest = wanted
        elif held in (Status.WITHDRAWN, Status.MOVED):
            result.reopen = wanted
    return result


def suggestion(carer: Carer, practice: str, at: datetime) -> dict[str, Any]:
    """The body of ``gp.coding_suggested``: what the practice needs to find and code the
    patient, and nothing more (no contact details, story or who they care for).

    The NHS number is included: the carer consented to share with their GP, which is the
    only way onto the list, and it is how a practice finds its patient without doubt.
    """
    return {
        "carer_id": carer.carer_id,
        "practice_ods_code": practice,
        "nhs_number": carer.nhs_number,
        "given_name": carer.given_name,
        "family_name": carer.family_name,
        "date_of_birth": carer.date_of_birth.isoformat() if carer.date_of_birth else None,
        "snomed_code": SUGGESTED_SNOMED_CODE,
        "snomed_display": SUGGESTED_SNOMED_DISPLAY,
        "suggested_at": at.isoformat(),
    }
