"""Registry use cases: what happens when an inbound event arrives.

Plain functions over ``(events, uow)``; the entrypoints validate and the processor
deduplicates before these run, inside one transaction.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from services.registry.adapters.orm import MatchReview
from services.registry.domain.model import Carer, match_key
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared import topics
from shared.events import CloudEvent
from shared.events.inbound import CarerIdentified, Person
from shared.messaging.processor import Event
from shared.telemetry import continued_span

REGISTRY_SOURCE = "urn:carers:registry"


def demographic_key(person: Person) -> str | None:
    if person.given_name and person.family_name and person.date_of_birth and person.postcode:
        return match_key(
            person.given_name, person.family_name, person.date_of_birth, person.postcode
        )
    return None


def identity_keys(person: Person) -> list[str]:
    """The lock names for matching this person: by number and by demographics."""
    keys = [f"nhs:{person.nhs_number}"] if person.nhs_number else []
    demographics = demographic_key(person)
    if demographics:
        keys.append(f"demo:{demographics}")
    return keys


async def identify_carers(events: list[Event], uow: RegistryUnitOfWork) -> None:
    """Match each identification to one carer record (contract 4.1), or create one.

    Locks and reads happen once for the whole run of events; matching runs in memory in
    event order, so two reports of one person in the same batch become one record.
    """
    people: list[Person] = [body.person for _, body in events]
    await uow.carers.lock(key for person in people for key in identity_keys(person))
    await uow.carers.preload(
        (p.nhs_number for p in people if p.nhs_number),
        (k for k in map(demographic_key, people) if k),
    )
    for envelope, identification in events:
        with continued_span(
            "registry.identify_carer",
            envelope.traceparent,
            **{
                "cloudevents.event_id": envelope.id,
                "carers.source_kind": identification.identified_by.kind,
            },
        ):
            await _identify(envelope, identification, uow)


async def _identify(
    envelope: CloudEvent, identification: CarerIdentified, uow: RegistryUnitOfWork
) -> None:
    person = identification.person
    demographics = demographic_key(person)
    carer: Carer | None = None
    candidates: list[Carer] = []
    if person.nhs_number:
        carer = uow.carers.find_by_nhs_number(person.nhs_number)
        if carer is None and demographics:
            # Only a record WITHOUT a number may gain this one: different numbers never merge.
            candidates = uow.carers.find_by_match_key(demographics, without_nhs_number=True)
    elif demographics:
        candidates = uow.carers.find_by_match_key(demographics)

    if carer is None and len(candidates) > 1:
        await _hold_for_review(envelope, candidates, uow)
        return
    if carer is None and candidates:
        carer = candidates[0]

    if carer is None:
        carer = Carer.register(str(uuid.uuid4()), identification, envelope.id, envelope.time)
        uow.carers.add(carer)
    else:
        carer.record_identification(identification, envelope.id, envelope.time)
        uow.carers.changed(carer)
    publish_changes(carer, uow, envelope.time)


async def _hold_for_review(
    envelope: CloudEvent, candidates: list[Carer], uow: RegistryUnitOfWork
) -> None:
    await uow.carers.hold_for_review(
        MatchReview(
            review_id=str(uuid.uuid4()),
            event_id=envelope.id,
            source=envelope.source,
            reason=f"matches {len(candidates)} carer records on name, date of birth and postcode",
            candidate_ids=json.dumps([c.carer_id for c in candidates]),
            envelope=envelope.model_dump_json(),
        )
    )


def publish_changes(carer: Carer, uow: RegistryUnitOfWork, at: datetime) -> None:
    """Queue the record's pending events and its new status snapshot in the outbox."""
    for event in carer.pending_events:
        uow.publish(
            topics.REGISTRY,
            carer.carer_id,
            CloudEvent.new(event.type, REGISTRY_SOURCE, carer.carer_id, event.data),
        )
    carer.pending_events.clear()
    uow.publish(
        topics.STATUS,
        carer.carer_id,
        CloudEvent.new("carer.status", REGISTRY_SOURCE, carer.carer_id, carer.status(at)),
    )


HANDLERS: dict[str, object] = {}
BATCH_HANDLERS = {"carer.identified": identify_carers}
