"""The referral's record of who did what and when, and what erasure leaves behind.

Found by mutation testing (python -m bench.mutation): the history entries' time and actor,
the overdue entry, the erasure of reasons and the copy of the carer's details could all
change with every unit test green.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.referrals.domain.access import OutOfScope, scope
from services.referrals.domain.model import (
    SYSTEM,
    CarerDetails,
    IllegalTransition,
    Referral,
)

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
STAFF = "urn:staff:council:1"


def _referral(service: str = "carers_assessment") -> Referral:
    details = CarerDetails(
        category="adult",
        story="I look after my dad",
        identified_by=({"ods_code": "A81001"},),
        caring_for=({"relationship": "parent"},),
        contact={"email": "a@example.org"},
    )
    return Referral.request("r1", "c1", service, details, at=AT, due_by=date(2026, 3, 4))


def test_a_new_referral_starts_its_history_at_the_moment_it_was_requested() -> None:
    referral = _referral()
    assert (referral.created_at, referral.updated_at) == (AT, AT)
    assert referral.history == [{"status": "requested", "at": AT.isoformat(), "by": SYSTEM}]
    assert referral.allowed_steps() == ["accept", "decline", "withdraw"]


@pytest.mark.parametrize("step", ["decline", "withdraw"])
def test_a_closing_step_notes_who_took_it_when_and_why(step: str) -> None:
    referral = _referral()
    getattr(referral, step)("  no capacity  ", at=LATER, by=STAFF)
    assert referral.updated_at == LATER
    assert referral.history[-1] == {
        "status": f"{step}d" if step == "decline" else "withdrawn",
        "at": LATER.isoformat(),
        "by": STAFF,
        "reason": "no capacity",
    }
    assert referral.allowed_steps() == []


def test_completing_notes_the_caseworker_and_keeps_the_checked_outcome() -> None:
    referral = _referral("vasl")
    referral.accept(at=AT, by=STAFF)
    assert referral.allowed_steps() == ["decline", "complete", "withdraw"]
    referral.complete(
        {"type": "signposted", "to": " Age UK "}, today=date(2026, 3, 3), at=LATER, by=STAFF
    )
    assert referral.history[-1] == {"status": "completed", "at": LATER.isoformat(), "by": STAFF}
    assert referral.outcome == {"type": "signposted", "to": "Age UK"}


def test_an_illegal_step_says_which_states_allow_it() -> None:
    referral = _referral()
    with pytest.raises(IllegalTransition) as caught:
        referral.complete({"type": "signposted", "to": "x"}, today=AT.date(), at=AT, by=STAFF)
    assert str(caught.value) == (
        "cannot complete a referral that is requested; only one that is accepted"
    )
    referral.decline("full", at=AT, by=STAFF)
    with pytest.raises(IllegalTransition) as caught:
        referral.withdraw("x", at=AT, by=STAFF)
    assert str(caught.value).endswith("only one that is requested or accepted")


def test_the_overdue_flag_is_a_system_entry_in_the_history() -> None:
    referral = _referral()
    now = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    assert referral.mark_overdue(now) is True
    assert referral.history[-1] == {"status": "overdue", "at": now.isoformat(), "by": SYSTEM}
    assert referral.pending_events[-1][1]["overdue"] is True


def test_details_are_copied_from_the_registrys_event() -> None:
    data = {
        "category": "adult",
        "story": "s",
        "identified_by": [{"ods_code": "A81001"}],
        "caring_for": [{"relationship": "parent"}],
        "contact": {"phone": "07700900000"},
    }
    details = CarerDetails.from_event(data)
    assert details.identified_by == ({"ods_code": "A81001"},)
    assert details.caring_for == ({"relationship": "parent"},)
    assert details.contact == {"phone": "07700900000"}
    assert CarerDetails.from_event({}) == CarerDetails()


def test_a_merged_referral_follows_the_surviving_carer() -> None:
    referral = _referral()
    referral.move_to("c2")
    assert referral.carer_id == "c2"
    assert referral.event_body()["carer_id"] == "c2"


def test_erasure_removes_reasons_from_the_referral_and_its_history() -> None:
    referral = _referral()
    referral.decline("her husband's illness", at=LATER, by=STAFF)
    referral.erase()
    assert referral.reason == "(removed when the carer's data was erased)"
    assert referral.history == [
        {"status": "requested", "at": AT.isoformat(), "by": SYSTEM},
        {"status": "declined", "at": LATER.isoformat(), "by": STAFF},
    ]
    assert referral.details == CarerDetails(category="adult")


def test_a_role_asking_for_another_queue_is_told_what_it_may_see() -> None:
    with pytest.raises(OutOfScope) as caught:
        scope("vasl", "young_carers")
    assert str(caught.value) == (
        "service: role 'vasl' may not see young_carers referrals; it sees vasl"
    )
    with pytest.raises(OutOfScope) as caught:
        scope("council", "vasl")
    assert str(caught.value).endswith("it sees carers_assessment, young_carers, support_at_home")
    with pytest.raises(OutOfScope) as caught:
        scope("carer", "vasl")
    assert str(caught.value).endswith("it sees none")
