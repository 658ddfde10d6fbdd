"""What a council officer sees to decide a held identification (issue 17, item 4): the
matching fields, the NHS number masked to its last 3 digits, who identified each person and
when; never contact details, consent, the people cared for or the story."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, date, datetime
from pathlib import Path

from services.registry.domain.model import Carer, Source
from services.registry.domain.review_view import (
    Identified,
    PersonView,
    candidate_view,
    held_view,
    mask_nhs_number,
)
from shared.events.inbound import CarerIdentified

EXAMPLE = Path(__file__).resolve().parents[3] / "docs/examples/cloudevent-carer-identified.json"
AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_an_nhs_number_shows_only_its_last_three_digits() -> None:
    assert mask_nhs_number("9434765919") == "*** *** *919"
    assert mask_nhs_number(None) == "not known"
    assert mask_nhs_number("") == "not known"


def test_who_identified_names_the_kind_and_the_organisation() -> None:
    assert Identified("gp", "C82001", "Example Surgery", AT).who == "GP (Example Surgery)"
    assert Identified("gp", "C82001", None, AT).who == "GP (C82001)"
    assert Identified("council", None, None, AT).who == "Council"
    assert Identified("self", None, None, AT).who == "Self"
    assert Identified("hospital", "RWE", "Royal Infirmary", AT).who == "Hospital (Royal Infirmary)"


def test_a_name_is_what_is_known_of_it() -> None:
    def view(given: str | None, family: str | None) -> PersonView:
        return PersonView("held", given, family, None, None, "not known", ())

    assert view("Siân", "O'Connor").name == "Siân O'Connor"
    assert view(None, "O'Connor").name == "O'Connor"
    assert view("Siân", None).name == "Siân"
    assert view(None, None).name == "not known"


def test_the_held_identification_shows_its_matching_fields_and_who_sent_it() -> None:
    body = CarerIdentified.model_validate(json.loads(EXAMPLE.read_text())["data"])
    view = held_view(AT, body)
    assert view == PersonView(
        "held",
        "Siân",
        "O'Connor-Smith",
        date(1968, 4, 12),
        "LE1 6ZG",
        "*** *** *919",
        (Identified("gp", "C82001", "Example Surgery", AT),),
    )


def test_a_candidate_shows_every_identification_oldest_first_and_nothing_else() -> None:
    carer = Carer(
        "c7", "9434765919", "Siân", "Smith", date(1968, 4, 12), "LE1 6ZG", email="x@example.org"
    )
    carer.sources = [
        Source("council", "LCC", "Council", "2026-03-08T10:00:00+00:00", "e2"),
        Source("gp", "C82001", None, "2026-03-01T10:00:00+00:00", "e1"),
    ]
    view = candidate_view(carer)
    assert view == PersonView(
        "c7",
        "Siân",
        "Smith",
        date(1968, 4, 12),
        "LE1 6ZG",
        "*** *** *919",
        (
            Identified("gp", "C82001", None, "2026-03-01T10:00:00+00:00"),
            Identified("council", "LCC", "Council", "2026-03-08T10:00:00+00:00"),
        ),
    )
    shown = {f.name for f in fields(PersonView)}
    assert not shown & {"email", "mobile", "consent", "caring_for", "stories"}
