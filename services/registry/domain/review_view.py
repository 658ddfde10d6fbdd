"""What a council officer sees to decide a held identification (issue 17, item 4). Pure.

An identification is held for review when it matches more than one record on name, date of
birth and postcode (contract 4.1). The officer decides whether it is one of those people
("merge into") or someone else ("keep apart"). They are shown only what that decision needs:

- **name, date of birth, postcode**: the matching fields themselves (what made it ambiguous);
- **NHS number, masked to its last 3 digits**: the registry never merges two different
  numbers, so the officer needs to see whether a number is held and whether two differ, not
  the number itself (3 digits tell two numbers apart 999 times in 1000);
- **who identified them, and when**: a GP and the council describing the same person a week
  apart is evidence; two different practices years apart may be two people.

Not shown: contact details, consent, who they care for, their story, referrals. None of it
helps tell two people apart, and every officer who opens the page would otherwise see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.registry.domain.model import Carer


def mask_nhs_number(number: str | None) -> str:
    """``9434765919`` -> ``*** *** *919``; "not known" when there is none."""
    if not number:
        return "not known"
    return "*** *** *" + number[-3:]


@dataclass(frozen=True)
class Identified:
    """One identification: who said it and when."""

    kind: str
    org_code: str | None
    org_name: str | None
    at: datetime | str

    @property
    def who(self) -> str:
        org = self.org_name or self.org_code
        return f"{self.kind.upper() if self.kind == 'gp' else self.kind.capitalize()}" + (
            f" ({org})" if org else ""
        )


@dataclass(frozen=True)
class PersonView:
    """One column of the comparison: the held identification or a candidate record."""

    key: str  # the candidate's carer_id, or "held"
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    postcode: str | None
    nhs_number: str  # masked
    identified: tuple[Identified, ...]

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p) or "not known"


def held_view(envelope_time: datetime, identification: Any) -> PersonView:
    """The held ``carer.identified`` (its body model) as a column."""
    person, by = identification.person, identification.identified_by
    return PersonView(
        "held",
        person.given_name,
        person.family_name,
        person.date_of_birth,
        person.postcode,
        mask_nhs_number(person.nhs_number),
        (Identified(by.kind, by.org_code, by.org_name, envelope_time),),
    )


def candidate_view(carer: Carer) -> PersonView:
    """A candidate record as a column: every identification, oldest first."""
    return PersonView(
        carer.carer_id,
        carer.given_name,
        carer.family_name,
        carer.date_of_birth,
        carer.postcode,
        mask_nhs_number(carer.nhs_number),
        tuple(
            Identified(s.kind, s.org_code, s.org_name, s.at)
            for s in sorted(carer.sources, key=lambda s: s.at)
        ),
    )
