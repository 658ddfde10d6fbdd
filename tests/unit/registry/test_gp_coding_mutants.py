"""The "carers to code" list and the read rule at their edges (issue 17, contract 6.4): ODS
codes written carelessly, several items per carer, a coded item staying closed, and a
practice known by each of its three routes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.registry.domain.gp_coding import Plan, Status, plan, practice_to_code, suggestion
from services.registry.domain.model import Carer, Source
from services.registry.domain.read_access import Outcome, decide_read, practice_knows

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def carer(
    practice: str | None = "C82001",
    share_with: list[str] | None = None,
    coded: str | None = None,
    sources: tuple[tuple[str, str | None], ...] = (),
) -> Carer:
    record = Carer("c1", None, None, None, None, None)
    record.consent = {"share_with": ["gp"] if share_with is None else share_with, "contact": False}
    record.gp_practice_ods = practice
    record.gp_coded = {"practice_ods_code": coded} if coded is not None else None
    record.sources = [Source(kind, org, None, AT.isoformat(), "e") for kind, org in sources]
    return record


def test_a_practice_code_is_read_trimmed_and_in_upper_case() -> None:
    assert practice_to_code(carer(" c82001 ")) == "C82001"
    assert practice_to_code(carer("   ")) is None
    assert practice_to_code(carer("")) is None
    assert practice_to_code(carer("C82001", coded=" c82001 ")) is None
    assert practice_to_code(carer("C82001", coded="  ")) == "C82001"


def test_no_consent_recorded_at_all_keeps_a_carer_off_the_list() -> None:
    record = carer()
    record.consent = {"contact": True}
    assert practice_to_code(record) is None
    record.consent = {"share_with": None}
    assert practice_to_code(record) is None


def test_every_open_item_but_the_wanted_one_is_closed_whatever_the_order() -> None:
    items = {
        "C11111": Status.CODED,  # closed already: stays as it is
        "C82001": Status.OPEN,  # the practice wanted now: kept open
        "C22222": Status.WITHDRAWN,
        "C33333": Status.OPEN,  # a practice the carer has left
        "C44444": Status.OPEN,
    }
    result = plan(carer("C82001"), items)
    assert result == Plan(close={"C33333": Status.MOVED, "C44444": Status.MOVED})


def test_an_open_item_is_closed_as_coded_withdrawn_or_moved() -> None:
    coded_elsewhere = carer("C82001", share_with=[], coded="C44444")
    items = {"C44444": Status.OPEN, "C82001": Status.OPEN, "C33333": Status.OPEN}
    assert plan(coded_elsewhere, items).close == {
        "C44444": Status.CODED,
        "C82001": Status.WITHDRAWN,
        "C33333": Status.MOVED,
    }


def test_a_coded_item_is_never_reopened_or_suggested_again() -> None:
    # Coded at C82001, then moved back there after coding elsewhere: still closed.
    result = plan(carer("C82001", coded="C84001"), {"C82001": Status.CODED})
    assert (result.reopen, result.suggest, result.close) == (None, None, {})
    moved_back = plan(carer("C82001"), {"C82001": Status.MOVED})
    assert (moved_back.reopen, moved_back.suggest) == ("C82001", None)


def test_nobody_on_the_list_means_nothing_to_do() -> None:
    assert plan(carer(None), {}) == Plan()
    assert Plan().close == {} and Plan().reopen is None and Plan().suggest is None


def test_a_suggestion_without_a_date_of_birth_says_so() -> None:
    body = suggestion(carer(), "C82001", AT)
    assert body["date_of_birth"] is None and body["nhs_number"] is None
    assert body["suggested_at"] == "2026-03-01T10:00:00+00:00"


# -- a practice reading its patient --------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "known"),
    [
        (carer(None, coded=" c84001"), True),  # coded them
        (carer("c84001 "), True),  # registers them
        (carer(None, sources=(("gp", "C84001"),)), True),  # identified them
        (carer(None, sources=(("hospital", "C84001"),)), False),  # not as a GP
        (carer(None, sources=(("gp", None),)), False),
        (carer(None, sources=(("gp", "C82001"),), coded="C82001"), False),
        (carer(None), False),
    ],
)
def test_a_practice_knows_a_carer_it_coded_registers_or_identified(
    record: Carer, known: bool
) -> None:
    assert practice_knows(record, "C84001") is known


def test_an_empty_organisation_never_matches_an_empty_code() -> None:
    assert practice_knows(carer(None, sources=(("gp", ""),), coded=""), "") is False
    assert practice_knows(carer(""), "") is False


def test_a_reader_without_any_consent_recorded_is_refused_for_consent() -> None:
    record = carer("C82001")
    record.consent = {"contact": True}
    assert decide_read("council", "LCC", record).outcome == Outcome.NO_CONSENT
    assert decide_read("gp", "C82001", record).outcome == Outcome.NO_CONSENT
    assert decide_read("admin", "X", record).allowed
    assert Outcome.NOT_A_READER == "refused:role" and Outcome.NOT_FOUND == "not_found"
    assert (Outcome.NO_CONSENT, Outcome.NOT_THEIR_PATIENT) == (
        "refused:consent",
        "refused:practice",
    )
