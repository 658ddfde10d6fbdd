"""Small helpers for registry tests: send inbound events, read records and topics."""

from __future__ import annotations

import json
from typing import Any

import orjson
from sqlalchemy import select

from services.registry.adapters.orm import CarerRow
from services.registry.bootstrap import Registry
from services.registry.domain.model import Carer
from shared import topics
from shared.events import CloudEvent
from tests.harness import events_on, produce

SIAN = {
    "identified_by": {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"},
    "person": {
        "nhs_number": "9434765919",
        "given_name": "Siân",
        "family_name": "O'Connor-Smith",
        "date_of_birth": "1968-04-12",
        "postcode": "LE1 6ZG",
        "email": "sian@example.org",
        "mobile": "07700900123",
    },
    "caring_for": [{"relationship": "parent", "needs": ["dementia"]}],
    "consent": {"share_with": ["gp", "council", "vasl"], "contact": True},
    "support_requested": ["vasl_support"],
    "story": "I look after my mum most evenings.",
}


def body(**changes: Any) -> dict[str, Any]:
    """SIAN with changes; ``person__nhs_number=None`` removes the number."""
    data = json.loads(json.dumps(SIAN))
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return data


def event(
    event_type: str, data: dict[str, Any], source: str = "ods:C82001", subject: str | None = None
) -> CloudEvent:
    return CloudEvent.new(event_type, source, subject, data)


async def send(bootstrap: str, namespace: str, *items: tuple[CloudEvent, str]) -> None:
    """Produce (event, key) pairs to the inbound topic, in order."""
    for envelope, key in items:
        await produce(bootstrap, namespace + topics.INBOUND, [envelope.to_bytes()], key.encode())


async def carers(registry: Registry) -> list[Carer]:
    async with registry.runtime.sessions() as session:
        query = select(CarerRow.document)  # type: ignore[call-overload]
        rows = (await session.execute(query)).all()
    return [Carer.from_document(orjson.loads(row[0])) for row in rows]


async def count_carers(registry: Registry, expected: int) -> list[Carer] | None:
    found = await carers(registry)
    return found if len(found) == expected else None


async def of_type(bootstrap: str, namespace: str, topic: str, event_type: str) -> list[dict]:
    return [e for e in await events_on(bootstrap, namespace + topic) if e.get("type") == event_type]
