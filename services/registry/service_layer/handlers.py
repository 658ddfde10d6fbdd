"""Registry use cases: what happens when an inbound event arrives.

Plain functions ``(envelope, body, uow)``; the entrypoints validate and the processor
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
from shared.events.inbound import CarerIdentified

REGISTRY_SOURCE = "urn:carers:registry"


async def identify_carer(
    envelope: CloudEvent, identification: CarerIdentified, uow: RegistryUnitOfWork
) -> None:
    """Match an identification to one carer record (contract 4.1), or create one."""
    person = identification.person
    demographics = (
        match_key(person.given_name, person.family_name, person.date_of_birth, person.postcode)
        if person.given_name and person.family_name and person.date_of_birth and person.postcode
        else None
    )
    keys = [f"nhs:{person.nhs_number}"] if person.nhs_number else []
    if demographics:
        keys.append(f"demo:{demographics}")
    await uow.carers.lock(keys)

    carer: Carer | None = None
    candidates: list[Carer] = []
    if person.nhs_number:
        carer = await uow.carers.by_nhs_number(person.nhs_number)
        if carer is None and demographics:
            # Only a record WITHOUT a number may gain this one: different numbers never merge.
            candidates = await uow.carers.by_match_key(demographics, without_nhs_number=True)
    elif demographics:
        candidates = await uow.carers.by_match_key(demographics)

    if carer is None and len(candidates) > 1:
        await _hold_for_review(envelope, candidates, uow)
        return
    if carer is None and candidates:
        carer = candidates[0]

    if carer is None:
        carer = Carer.register(str(uuid.uuid4()), identification, envelope.id, envelope.time)
        await uow.carers.add(carer)
    else:
        carer.record_identification(identification, envelope.id, envelope.time)
        await uow.carers.save(carer)
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


HANDLERS = {"carer.identified": identify_carer}
