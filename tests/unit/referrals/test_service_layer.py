"""The referral use cases against an in-memory unit of work: who may move a referral, in
what order, with which outcomes, when it becomes overdue, and what is published; in
milliseconds, with the same handlers the service runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.referrals.adapters.repository import ReferralRepository
from services.referrals.domain.model import IllegalTransition, MissingReason, Referral
from services.referrals.domain.outcomes import InvalidOutcome
from services.referrals.domain.working_days import WorkingCalendar
from services.referrals.service_layer.handlers import (
    ReferralNotFound,
    ServiceLevel,
    change_referral,
    erase_carer,
    merge_carers,
    read_referral,
    review_referrals,
)
from services.referrals.service_layer.sweep import mark_overdue
from shared import topics
from shared.auth import Principal
from shared.events import CarerErased, CarerMerged, CarerRegistered, CloudEvent
from tests.unit.fakes import FakeDatabase, FakeUnitOfWork, assert_same_interface
from tests.unit.referrals.fakes import FakeReferralRepository, FakeReferralsUnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
LEVEL = ServiceLevel(5, WorkingCalendar(frozenset()))
COUNCIL = Principal("council", "LCC", "officer@lcc")
VASL = Principal("vasl", "VASL", "worker@vasl")


def carer(carer_id: str, share_with: list[str], minutes: int = 0, **data: Any) -> Any:
    body = {
        "carer_id": carer_id,
        "category": "young_carer",
        "sources": [{"kind": "school", "org_code": "S1", "at": "2026-03-01T10:00:00Z"}],
        "consent": {"share_with": share_with, "contact": True},
        "support_requested": [],
        "story": "I look after my brother.",
        **data,
    }
    envelope = CloudEvent.new("carer.updated", "urn:carers:registry", carer_id, body)
    envelope = envelope.model_copy(update={"time": T0 + timedelta(minutes=minutes)})
    return envelope, CarerRegistered.model_validate(body)


async def receive(database: FakeDatabase, *events: Any) -> None:
    """As the processor does: one unit of work, the batch handler, then commit."""
    async with FakeReferralsUnitOfWork(database) as uow:
        await review_referrals(list(events), uow, LEVEL)
        await uow.commit()


def stored(database: FakeDatabase) -> list[Referral]:
    return sorted(database.tables["referrals"].values(), key=lambda r: r.created_at)


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


async def referred(database: FakeDatabase, share_with: list[str], **data: Any) -> Referral:
    await receive(database, carer("c-1", share_with, **data))
    (referral,) = stored(database)
    return referral


def test_the_fakes_honour_the_real_interfaces() -> None:
    assert_same_interface(FakeReferralRepository, ReferralRepository)
    assert_same_interface(FakeReferralsUnitOfWork, FakeUnitOfWork)


async def test_a_young_carer_consenting_to_the_council_is_referred_once(
    database: FakeDatabase,
) -> None:
    await receive(database, carer("c-1", ["council"]))
    await receive(database, carer("c-1", ["council"], minutes=5))  # identified again
    (referral,) = stored(database)
    assert (referral.service, referral.status, referral.due_by) == (
        "young_carers",
        "requested",
        date(2026, 3, 9),
    )
    assert database.events(topics.REFERRALS) == [("referral.created", referral.event_body())]


async def test_consent_withdrawn_withdraws_the_referral_and_given_again_refers_anew(
    database: FakeDatabase,
) -> None:
    await receive(database, carer("c-1", ["council"]))
    await receive(database, carer("c-1", [], minutes=1))
    await receive(database, carer("c-1", ["council"], minutes=2))
    first, second = stored(database)
    assert (first.status, first.withdrawn_for, first.details_removed) == (
        "withdrawn",
        "consent",
        "withdrawn consent: details removed",
    )
    assert second.status == "requested" and second.details.story == "I look after my brother."
    assert [t for t, _ in database.events()] == [
        "referral.created",
        "referral.withdrawn",
        "referral.created",
    ]


async def test_a_referral_declined_by_staff_is_not_reopened_by_a_later_identification(
    database: FakeDatabase,
) -> None:
    referral = await referred(database, ["council"])
    await change_referral(
        FakeReferralsUnitOfWork(database),
        referral.referral_id,
        "decline",
        by=COUNCIL,
        now=T0,
        reason="not eligible",
    )
    await receive(database, carer("c-1", ["council"], minutes=10))
    assert [r.status for r in stored(database)] == ["declined"]


async def test_an_erased_carer_is_never_referred_again(database: FakeDatabase) -> None:
    referral = await referred(database, ["council"])
    envelope = CloudEvent.new("carer.erased", "urn:carers:registry", "c-1", {"carer_id": "c-1"})
    async with FakeReferralsUnitOfWork(database) as uow:
        await erase_carer(envelope, CarerErased(carer_id="c-1"), uow)
        await uow.commit()
    await receive(database, carer("c-1", ["council"], minutes=10))
    (erased,) = stored(database)
    assert erased.referral_id == referral.referral_id and erased.status == "withdrawn"
    assert erased.erased and erased.details.story is None


async def test_a_merge_keeps_one_open_referral_per_service(database: FakeDatabase) -> None:
    await receive(database, carer("c-1", ["council"]), carer("c-2", ["council"]))
    body = {"carer_id": "c-1", "merged_carer_id": "c-2"}
    envelope = CloudEvent.new("carer.merged", "urn:carers:registry", "c-1", body)
    async with FakeReferralsUnitOfWork(database) as uow:
        await merge_carers(envelope, CarerMerged.model_validate(body), uow)
        await uow.commit()
    kept, merged = stored(database)
    assert (kept.carer_id, kept.status) == ("c-1", "requested")
    assert (merged.carer_id, merged.status, merged.withdrawn_for) == ("c-1", "withdrawn", "merge")


async def test_only_the_team_for_the_service_may_move_a_referral_and_refusals_are_audited(
    database: FakeDatabase,
) -> None:
    referral = await referred(database, ["council"])  # young_carers: the council's
    with pytest.raises(ReferralNotFound):
        await change_referral(
            FakeReferralsUnitOfWork(database), referral.referral_id, "accept", by=VASL, now=T0
        )
    with pytest.raises(ReferralNotFound):
        await read_referral(FakeReferralsUnitOfWork(database), VASL, "no-such", "read", T0)
    (unchanged,) = stored(database)
    assert unchanged.status == "requested"
    assert [(r.role, r.action, r.outcome) for r in database.tables["reads"]] == [
        ("vasl", "accept", "refused:scope"),
        ("vasl", "read", "not_found"),
    ]
    assert [t for t, _ in database.events()] == ["referral.created"]


async def test_steps_follow_the_lifecycle_and_a_refused_step_changes_nothing(
    database: FakeDatabase,
) -> None:
    referral = await referred(database, ["council"])
    uow = FakeReferralsUnitOfWork(database)
    outcome = {"type": "signposted", "to": "Young carers group"}
    with pytest.raises(IllegalTransition):
        await change_referral(
            uow, referral.referral_id, "complete", by=COUNCIL, now=T0, outcome=outcome
        )
    with pytest.raises(MissingReason):
        await change_referral(uow, referral.referral_id, "withdraw", by=COUNCIL, now=T0, reason=" ")
    assert stored(database)[0].status == "requested"

    await change_referral(uow, referral.referral_id, "accept", by=COUNCIL, now=T0)
    done = await change_referral(
        uow, referral.referral_id, "complete", by=COUNCIL, now=T0, outcome=outcome
    )
    assert done.status == "completed" and stored(database)[0].outcome == outcome
    with pytest.raises(IllegalTransition):
        await change_referral(uow, referral.referral_id, "accept", by=COUNCIL, now=T0)
    assert [t for t, _ in database.events()] == [
        "referral.created",
        "referral.accepted",
        "referral.completed",
    ]
    assert [h["by"] for h in stored(database)[0].history][1:] == ["officer@lcc"] * 2


@pytest.mark.parametrize(
    ("service_share", "outcome", "accepted"),
    [
        (["vasl"], {"type": "assessment_completed", "eligible_needs": True}, False),
        (["vasl"], {"type": "signposted", "to": "Carers cafe"}, True),
        (
            ["council"],
            {"type": "passport_issued", "number": "YC-1", "issued_on": "2026-03-01"},
            True,
        ),
        (
            ["council"],
            {"type": "passport_issued", "number": "YC-1", "issued_on": "2026-03-03"},
            False,
        ),
    ],
)
async def test_outcomes_are_checked_against_the_service(
    database: FakeDatabase, service_share: list[str], outcome: dict[str, Any], accepted: bool
) -> None:
    category = "adult_carer" if service_share == ["vasl"] else "young_carer"
    referral = await referred(database, service_share, category=category)
    staff = Principal("admin", "LCC", "admin@lcc")
    uow = FakeReferralsUnitOfWork(database)
    await change_referral(uow, referral.referral_id, "accept", by=staff, now=T0)
    if accepted:
        await change_referral(
            uow, referral.referral_id, "complete", by=staff, now=T0, outcome=outcome
        )
        assert stored(database)[0].status == "completed"
    else:
        with pytest.raises(InvalidOutcome):
            await change_referral(
                uow, referral.referral_id, "complete", by=staff, now=T0, outcome=outcome
            )
        assert stored(database)[0].status == "accepted"


async def test_a_referral_not_accepted_by_its_due_date_is_flagged_overdue_once(
    database: FakeDatabase,
) -> None:
    referral = await referred(database, ["council"])  # due Monday 9 March (5 working days)

    def unit_of_work() -> FakeReferralsUnitOfWork:
        return FakeReferralsUnitOfWork(database)

    assert await mark_overdue(unit_of_work, datetime(2026, 3, 9, 23, 59, tzinfo=UTC)) == 0
    assert await mark_overdue(unit_of_work, datetime(2026, 3, 10, 0, 1, tzinfo=UTC)) == 1
    assert await mark_overdue(unit_of_work, datetime(2026, 3, 20, tzinfo=UTC)) == 0
    assert stored(database)[0].overdue
    overdue = [d for t, d in database.events() if t == "referral.overdue"]
    assert overdue == [{**referral.event_body(), "overdue": True}]


async def test_the_overdue_sweep_takes_every_batch_and_skips_accepted_referrals(
    database: FakeDatabase,
) -> None:
    await receive(database, *(carer(f"c-{n}", ["council"]) for n in range(5)))
    first = stored(database)[0]
    await change_referral(
        FakeReferralsUnitOfWork(database), first.referral_id, "accept", by=COUNCIL, now=T0
    )

    def unit_of_work() -> FakeReferralsUnitOfWork:
        return FakeReferralsUnitOfWork(database)

    flagged = await mark_overdue(unit_of_work, datetime(2026, 3, 11, tzinfo=UTC), batch=2)
    assert flagged == 4
    assert [r.overdue for r in stored(database)] == [False, True, True, True, True]
