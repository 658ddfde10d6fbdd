"""The registry's service layer on an in-memory unit of work (issue 18): matching, the inbox
and consent rules, in milliseconds, through the same processor the Kafka consumer uses.

What mutating the code showed no unit test caught (matching, inbox de-duplication) is pinned
here; the Kafka integration tests still cover the SQL repository and the broker.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.registry.service_layer.handlers import (
    BATCH_HANDLERS,
    HANDLERS,
    republish_statuses,
)
from shared.events import CloudEvent, parse_inbound
from shared.messaging.deadletter import RawRecord
from shared.messaging.processor import BatchOutcome, EventProcessor
from tests.unit.registry.fakes import FakeDatabase, FakeUnitOfWork

GP = "ods:C82001"
SIAN: dict[str, Any] = {
    "identified_by": {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"},
    "person": {
        "nhs_number": "9434765919",
        "given_name": "Siân",
        "family_name": "O'Connor-Smith",
        "date_of_birth": "1968-04-12",
        "postcode": "LE1 6ZG",
    },
    "caring_for": [{"relationship": "parent", "needs": ["dementia"]}],
    "consent": {"share_with": ["gp", "council"], "contact": True},
}
OTHER_NHS = "9876543210"


def identification(source: str = GP, **person: Any) -> CloudEvent:
    body = json.loads(json.dumps(SIAN))
    for name, value in person.items():
        if value is None:
            body["person"].pop(name, None)
        else:
            body["person"][name] = value
    return CloudEvent.new("carer.identified", source, None, body)


def just_now() -> str:
    """A consent recorded now: after the one held, and not in the future (refused)."""
    return datetime.now(UTC).isoformat()


def consent(carer_id: str, share_with: list[str], recorded_at: str, source: str = GP) -> CloudEvent:
    body = {
        "carer_id": carer_id,
        "share_with": share_with,
        "contact": True,
        "recorded_at": recorded_at,
    }
    return CloudEvent.new("consent.updated", source, carer_id, body)


class Registry:
    """The registry's inbound processor over a fake database."""

    def __init__(self) -> None:
        self.db = FakeDatabase()
        self.processor: EventProcessor[Any] = EventProcessor(
            "registry",
            lambda: FakeUnitOfWork(self.db),
            HANDLERS,
            parse_inbound,
            batch_handlers=BATCH_HANDLERS,
        )
        self.offset = 0

    async def send(self, *events: CloudEvent) -> BatchOutcome:
        records = []
        for envelope in events:
            records.append(
                RawRecord("carers.inbound.v1", 0, self.offset, None, envelope.to_bytes())
            )
            self.offset += 1
        return await self.processor.process(records)

    def carers(self) -> list[dict[str, Any]]:
        return list(self.db.carers.values())


@pytest.fixture
def registry() -> Registry:
    return Registry()


# -- matching (contract 4.1) -----------------------------------------------------------------


async def test_the_same_nhs_number_is_one_carer_whatever_else_differs(registry: Registry) -> None:
    await registry.send(identification())
    await registry.send(identification("ods:C82002", postcode="LE2 1AA", family_name="Smith"))

    [carer] = registry.carers()
    assert len(carer["sources"]) == 2
    assert registry.db.published("carer.registered") and len(registry.db.reviews) == 0


async def test_the_same_demographics_without_a_number_are_one_carer(registry: Registry) -> None:
    await registry.send(identification(nhs_number=None))
    await registry.send(
        identification(nhs_number=None, given_name=" SIÂN ", postcode="le16zg"),
    )

    [carer] = registry.carers()
    assert len(carer["sources"]) == 2


async def test_a_number_joins_the_record_with_the_same_demographics_and_none(
    registry: Registry,
) -> None:
    await registry.send(identification(nhs_number=None))
    await registry.send(identification())

    [carer] = registry.carers()
    assert carer["nhs_number"] == SIAN["person"]["nhs_number"]


async def test_different_nhs_numbers_are_never_merged(registry: Registry) -> None:
    await registry.send(identification())
    await registry.send(identification(nhs_number=OTHER_NHS))

    assert sorted(c["nhs_number"] for c in registry.carers()) == sorted(
        [SIAN["person"]["nhs_number"], OTHER_NHS]
    )


async def test_demographics_matching_two_records_are_held_for_review(registry: Registry) -> None:
    await registry.send(identification())
    await registry.send(identification(nhs_number=OTHER_NHS))
    before = json.dumps(registry.carers(), sort_keys=True, default=str)

    outcome = await registry.send(identification("ods:C82002", nhs_number=None))

    assert outcome.processed == 1 and outcome.dead_lettered == 0
    [review] = registry.db.reviews
    assert "matches 2 carer records" in review.reason
    assert sorted(json.loads(review.candidate_ids)) == sorted(
        c["carer_id"] for c in registry.carers()
    )
    assert json.dumps(registry.carers(), sort_keys=True, default=str) == before


# -- the inbox -------------------------------------------------------------------------------


async def test_a_repeated_event_is_skipped_in_the_next_batch_and_in_the_same_one(
    registry: Registry,
) -> None:
    told = identification()
    first = await registry.send(told)
    again = await registry.send(told)
    news = identification()  # a new event (a new id) about the same person
    twice = await registry.send(news, news)

    assert (first.processed, first.duplicates) == (1, 0)
    assert (again.processed, again.duplicates) == (0, 1)
    assert (twice.processed, twice.duplicates) == (1, 1)
    [carer] = registry.carers()
    assert [s["event_id"] for s in carer["sources"]] == [told.id, news.id]


async def test_a_redelivered_event_leaves_the_record_and_outbox_as_they_were(
    registry: Registry,
) -> None:
    told = identification()
    await registry.send(told)
    carers = json.dumps(registry.carers(), sort_keys=True, default=str)
    published = len(registry.db.outbox)

    await registry.send(told)

    assert json.dumps(registry.carers(), sort_keys=True, default=str) == carers
    assert len(registry.db.outbox) == published


# -- consent rules (contract 6.2) ------------------------------------------------------------


async def test_narrowing_consent_is_applied_and_published(registry: Registry) -> None:
    await registry.send(identification())
    [carer] = registry.carers()

    outcome = await registry.send(consent(carer["carer_id"], ["gp"], just_now()))

    assert outcome.processed == 1
    assert registry.carers()[0]["consent"]["share_with"] == ["gp"]
    [update] = registry.db.published("carer.updated")
    assert update["consent"]["share_with"] == ["gp"]


async def test_a_partner_widening_sharing_to_itself_is_held_not_applied(
    registry: Registry,
) -> None:
    body = json.loads(json.dumps(SIAN))
    body["consent"] = {"share_with": ["council"], "contact": True}
    await registry.send(CloudEvent.new("carer.identified", GP, None, body))
    [carer] = registry.carers()

    await registry.send(consent(carer["carer_id"], ["council", "gp"], just_now()))

    assert registry.carers()[0]["consent"]["share_with"] == ["council"]
    [claim] = [row for row in registry.db.rows if getattr(row, "kind", None) == "consent"]
    assert claim.carer_id == carer["carer_id"] and claim.status == "pending"


async def test_consent_for_a_carer_we_do_not_hold_is_dead_lettered_naming_the_field(
    registry: Registry,
) -> None:
    outcome = await registry.send(consent("no-such-carer", ["gp"], just_now()))

    assert outcome.dead_lettered == 1
    assert outcome.reasons[0].startswith("data.carer_id")
    assert registry.carers() == []


# -- sweeps over every record ----------------------------------------------------------------


async def test_republishing_visits_every_carer_once_a_page_at_a_time(registry: Registry) -> None:
    numbers = ["9434765900", "9434765919", "9434765927", "9434765935", "9434765943"]
    for number in numbers:
        await registry.send(identification(nhs_number=number))
    assert len(registry.carers()) == 5
    commits, published = registry.db.commits, len(registry.db.published("carer.status"))

    sent = await republish_statuses(lambda: FakeUnitOfWork(registry.db), datetime.now(UTC), 2)

    assert sent == 5
    assert registry.db.commits - commits == 3  # pages of 2, 2 and 1
    statuses = registry.db.published("carer.status")[published:]
    assert sorted(s["carer_id"] for s in statuses) == sorted(registry.db.carers)
