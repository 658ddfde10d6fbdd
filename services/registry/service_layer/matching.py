"""Identity matching: one carer record per person, however many partners report them.

Contract 4.1, set-at-a-time: a run of identifications locks and loads every record it
could match, then matches in memory in event order.
"""

from __future__ import annotations

import json
import uuid

from services.registry.adapters.orm import MatchReview
from services.registry.domain.consent import ConsentRefused, PendingClaim, recorder_of
from services.registry.domain.model import Carer, full_match_key
from services.registry.service_layer.publishing import publish_changes, save_claims
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.events import CloudEvent
from shared.events.ids import uuid4_str
from shared.events.inbound import CarerIdentified, Person
from shared.messaging.processor import Event, Unprocessable
from shared.telemetry import continued_span


def demographic_key(person: Person) -> str | None:
    return full_match_key(
        person.given_name, person.family_name, person.date_of_birth, person.postcode
    )


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

    try:
        if carer is None:
            carer = Carer.register(uuid4_str(), identification, envelope.id, envelope.time)
            uow.carers.add(carer)
        elif is_unproven_self(envelope, identification, carer):
            # Contract 6.3: a self-identification never overwrites what is held. It waits
            # for the carer to prove a channel on the record, or an officer to verify it.
            carer.hold_claim(identification_claim(envelope))
            save_claims(carer, uow, envelope.time)
            return
        else:
            recorder = recorder_of(identification, envelope.subject, carer.carer_id)
            carer.record_identification(identification, envelope.id, envelope.time, recorder)
            uow.carers.changed(carer)
    except ConsentRefused as refused:
        raise Unprocessable(f"data.{refused}", envelope.id) from None
    publish_changes(carer, uow, envelope.time)


def is_unproven_self(envelope: CloudEvent, identification: CarerIdentified, carer: Carer) -> bool:
    """A carer telling us about themselves without being signed in to this record.

    Only the registry's self-service writes kind ``self`` (attested; the consumer refuses
    anything else), and a signed-in carer's changes name their own record as the subject.
    """
    return identification.identified_by.kind == "self" and envelope.subject != carer.carer_id


def identification_claim(envelope: CloudEvent) -> PendingClaim:
    return PendingClaim(
        "identification",
        {"envelope": envelope.model_dump(mode="json")},
        {"kind": "self", "org_code": None, "org_name": None},
        envelope.id,
        envelope.source,
    )


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
