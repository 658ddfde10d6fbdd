"""Who is on a GP practice's "carers to code" list, and when a suggestion is made (issue 17).

Pure rules (``domain.gp_coding``) and the read rule's closed gap: a practice the carer names
as theirs may read them, with consent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.registry.domain.gp_coding import Status, plan, practice_to_code, suggestion
from services.registry.domain.model import Carer
from services.registry.domain.provenance import kafka_refusal
from services.registry.domain.read_access import Outcome, decide_read
from shared.kafka.principals import source_refusal
from shared.topics import partner_inbound

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def _carer(practice: str | None, share_with: list[str], coded: str | None = None) -> Carer:
    carer = Carer("c1", "9434765919", "Siân", "O'Brien", date(1970, 5, 1), "LE1 6ZG")
    carer.consent = {"share_with": share_with, "contact": True}
    carer.gp_practice_ods = practice
    carer.gp_coded = {"practice_ods_code": coded, "coded_at": AT.isoformat()} if coded else None
    return carer


@pytest.mark.parametrize(
    ("carer", "expected"),
    [
        (_carer("C82001", ["gp"]), "C82001"),
        (_carer("c82001", ["gp", "council"]), "C82001"),
        (_carer(None, ["gp"]), None),  # names no practice
        (_carer("C82001", ["council"]), None),  # no consent to share with their GP
        (_carer("C82001", ["gp"], coded="C82001"), None),  # already coded there
        (_carer("C82001", ["gp"], coded="c82001"), None),  # ODS codes compared in upper case
        (_carer("C82001", ["gp"], coded="C84001"), "C82001"),  # coded elsewhere: not enough
    ],
)
def test_who_is_on_a_practices_list(carer: Carer, expected: str | None) -> None:
    assert practice_to_code(carer) == expected


def test_a_carer_joining_the_list_is_suggested_once() -> None:
    carer = _carer("C82001", ["gp"])
    assert plan(carer, {}).suggest == "C82001"
    again = plan(carer, {"C82001": Status.OPEN})
    assert (again.suggest, again.reopen, again.close) == (None, None, {})


def test_coding_by_the_practice_closes_the_item_for_good() -> None:
    coded = _carer("C82001", ["gp"], coded="C82001")
    assert plan(coded, {"C82001": Status.OPEN}).close == {"C82001": Status.CODED}
    assert plan(coded, {"C82001": Status.CODED}).close == {}


def test_consent_withdrawn_closes_and_consent_given_again_reopens_without_a_second_event() -> None:
    withdrawn = _carer("C82001", ["council"])
    assert plan(withdrawn, {"C82001": Status.OPEN}).close == {"C82001": Status.WITHDRAWN}
    given_again = plan(_carer("C82001", ["gp"]), {"C82001": Status.WITHDRAWN})
    assert (given_again.reopen, given_again.suggest) == ("C82001", None)


def test_moving_practice_closes_the_old_item_and_suggests_to_the_new_practice() -> None:
    moved = plan(_carer("C84001", ["gp"]), {"C82001": Status.OPEN})
    assert moved.close == {"C82001": Status.MOVED}
    assert moved.suggest == "C84001"


def test_the_suggestion_carries_only_what_the_practice_needs_to_code() -> None:
    carer = _carer("C82001", ["gp"])
    carer.email, carer.mobile = "sian@example.org", "07700900123"
    carer.stories = [{"text": "I look after my mum", "kind": "council", "at": AT.isoformat()}]
    body = suggestion(carer, "C82001", AT)
    assert body == {
        "carer_id": "c1",
        "practice_ods_code": "C82001",
        "nhs_number": "9434765919",
        "given_name": "Siân",
        "family_name": "O'Brien",
        "date_of_birth": "1970-05-01",
        "snomed_code": "224484003",
        "snomed_display": "Patient themselves providing care",
        "suggested_at": AT.isoformat(),
    }


@pytest.mark.parametrize(
    ("org", "share_with", "outcome"),
    [
        ("C82001", ["gp"], Outcome.ALLOWED),  # the practice they are registered with
        ("c82001", ["gp"], Outcome.ALLOWED),
        ("C84001", ["gp"], Outcome.NOT_THEIR_PATIENT),  # another practice
        ("C82001", ["council"], Outcome.NO_CONSENT),
    ],
)
def test_the_registered_practice_reads_the_carer_with_consent(
    org: str, share_with: list[str], outcome: str
) -> None:
    assert decide_read("gp", org, _carer("C82001", share_with)).outcome == outcome


# -- a practice codes its own patients only (issue 17) ----------------------------------------

CODED = {
    "nhs_number": "9434765919",
    "practice_ods_code": "C84001",
    "snomed_code": "224484003",
    "coded_at": "2026-03-02T09:00:00Z",
}


def test_a_coding_in_another_practices_name_is_refused_from_any_ods_source() -> None:
    reason = kafka_refusal("ods:C82001", "gp.carer_coded", CODED, attested=False)
    assert reason is not None and reason.startswith("data.practice_ods_code:")
    assert kafka_refusal("ods:c84001", "gp.carer_coded", CODED, attested=False) is None


def test_a_coding_on_a_partners_own_topic_must_be_that_practices() -> None:
    gp_topic = partner_inbound("gp", "C82001")
    refused = source_refusal(gp_topic, "ods:C82001", "gp.carer_coded", CODED)
    assert refused is not None and refused.startswith("data.practice_ods_code:")
    own = {**CODED, "practice_ods_code": "C82001"}
    assert source_refusal(gp_topic, "ods:C82001", "gp.carer_coded", own) is None
    hospital = partner_inbound("hospital", "RWE")
    as_hospital = {**CODED, "practice_ods_code": "RWE"}
    assert source_refusal(hospital, "ods:RWE", "gp.carer_coded", as_hospital) is not None
