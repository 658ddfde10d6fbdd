"""A referral's lifecycle: each step, each illegal step, overdue once, erasure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.referrals.domain import rules
from services.referrals.domain.model import (
    SYSTEM,
    CarerDetails,
    IllegalTransition,
    MissingReason,
    Referral,
)
from services.referrals.domain.outcomes import InvalidOutcome

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DETAILS = CarerDetails(
    category="adult_carer",
    story="I look after my mum most evenings.",
    identified_by=({"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"},),
    caring_for=({"relationship": "parent", "needs": ["dementia"]},),
    contact={"given_name": "Siân", "family_name": "O'Connor-Smith", "email": "s@example.org"},
)
ASSESSED = {"type": "assessment_completed", "eligible_needs": True}


def referral(service: str = "carers_assessment", **changes: Any) -> Referral:
    made = Referral.request("r-1", "c-1", service, DETAILS, at=MONDAY, due_by=date(2026, 3, 9))
    for name, value in changes.items():
        setattr(made, name, value)
    return made


def types(made: Referral) -> list[str]:
    return [event_type for event_type, _ in made.pending_events]


def test_a_new_referral_is_requested_carries_the_story_and_announces_itself() -> None:
    made = referral()
    assert made.status == "requested" and made.details.story == DETAILS.story
    assert types(made) == ["referral.created"]
    body = made.pending_events[0][1]
    assert body == {
        "referral_id": "r-1",
        "carer_id": "c-1",
        "service": "carers_assessment",
        "status": "requested",
        "due_by": "2026-03-09",
    }
    assert "story" not in body, "events carry no personal details"


def test_requested_accepted_completed_with_who_did_it() -> None:
    made = referral()
    made.accept(at=MONDAY + timedelta(days=1), by="council:LCC")
    made.complete(ASSESSED, today=date(2026, 3, 5), at=MONDAY + timedelta(days=3), by="council:LCC")
    assert made.status == "completed" and made.outcome == ASSESSED
    assert types(made) == ["referral.created", "referral.accepted", "referral.completed"]
    assert [h["status"] for h in made.history] == ["requested", "accepted", "completed"]
    assert made.history[1]["by"] == "council:LCC" and made.history[0]["by"] == SYSTEM
    assert made.pending_events[-1][1]["outcome"] == ASSESSED


@pytest.mark.parametrize("start", ["requested", "accepted"])
def test_a_requested_or_accepted_referral_can_be_declined_with_a_reason(start: str) -> None:
    made = referral(status=start)
    made.decline("  Not in our area  ", at=MONDAY, by="council:LCC")
    assert made.status == "declined" and made.reason == "Not in our area"
    assert made.pending_events[-1] == (
        "referral.declined",
        {**made.event_body(), "reason": "Not in our area"},
    )


def test_declining_or_withdrawing_needs_a_reason() -> None:
    with pytest.raises(MissingReason):
        referral().decline("   ", at=MONDAY, by="x")
    with pytest.raises(MissingReason):
        referral().withdraw("", at=MONDAY, by="x")


@pytest.mark.parametrize(
    ("status", "step"),
    [
        ("accepted", "accept"),
        ("completed", "accept"),
        ("declined", "accept"),
        ("withdrawn", "accept"),
        ("requested", "complete"),
        ("completed", "complete"),
        ("declined", "complete"),
        ("withdrawn", "complete"),
        ("completed", "decline"),
        ("declined", "decline"),
        ("withdrawn", "decline"),
        ("completed", "withdraw"),
        ("declined", "withdraw"),
        ("withdrawn", "withdraw"),
    ],
)
def test_illegal_steps_are_refused_and_change_nothing(status: str, step: str) -> None:
    made = referral(status=status)
    made.pending_events.clear()
    arguments: dict[str, Any] = {"at": MONDAY, "by": "x"}
    if step in ("decline", "withdraw"):
        arguments["reason"] = "because"
    if step == "complete":
        arguments.update(outcome=ASSESSED, today=date(2026, 3, 2))
    with pytest.raises(IllegalTransition, match=f"cannot {step} a referral that is {status}"):
        getattr(made, step)(**arguments)
    assert made.status == status and made.pending_events == []


def test_an_invalid_outcome_leaves_the_referral_accepted() -> None:
    made = referral(status="accepted")
    with pytest.raises(InvalidOutcome):
        made.complete({"type": "passport_issued"}, today=date(2026, 3, 2), at=MONDAY, by="x")
    assert made.status == "accepted"


def test_overdue_is_flagged_once_and_only_while_waiting_to_be_accepted() -> None:
    made = referral()
    assert not made.mark_overdue(datetime(2026, 3, 9, 23, 59, tzinfo=UTC))
    assert made.mark_overdue(datetime(2026, 3, 10, 0, 1, tzinfo=UTC))
    assert made.is_overdue and types(made)[-1] == "referral.overdue"
    assert made.pending_events[-1][1]["status"] == "requested"
    assert not made.mark_overdue(datetime(2026, 3, 20, tzinfo=UTC)), "published once"
    made.accept(at=datetime(2026, 3, 11, tzinfo=UTC), by="x")
    assert made.overdue and not made.is_overdue, "accepted late: no longer in the overdue queue"
    assert not referral(status="accepted").mark_overdue(datetime(2026, 3, 20, tzinfo=UTC))


def test_an_open_referral_takes_the_latest_story_but_a_closed_one_keeps_its_own() -> None:
    newer = CarerDetails(category="adult_carer", story="Now my dad needs help too.")
    made = referral()
    assert made.refresh(newer) and made.details.story == "Now my dad needs help too."
    assert not made.refresh(newer), "nothing changed the second time"
    closed = referral(status="completed")
    assert not closed.refresh(newer) and closed.details.story == DETAILS.story


def test_erasure_removes_the_story_and_details_but_keeps_what_happened() -> None:
    made = referral("young_carers", status="accepted")
    made.complete(
        {"type": "passport_issued", "number": "YC-0342", "issued_on": "2026-03-02"},
        today=date(2026, 3, 2),
        at=MONDAY,
        by="council:LCC",
    )
    made.erase()
    assert made.details == CarerDetails(category="adult_carer")
    assert made.outcome == {"type": "passport_issued", "issued_on": "2026-03-02"}
    assert made.erased and made.status == "completed"


def test_a_referral_withdrawn_for_erasure_says_so() -> None:
    made = referral()
    made.withdraw(rules.ERASED_REASON, at=MONDAY, by=SYSTEM, why=rules.WITHDRAWN_FOR_ERASURE)
    made.erase()
    assert made.reason == "the carer's data was erased"
    assert made.pending_events[-1][1]["reason"] == "the carer's data was erased"
