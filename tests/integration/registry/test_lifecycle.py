"""GP coding, consent changes, erasure, referral progress and age: the record over time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from services.registry.bootstrap import Registry
from services.registry.service_layer.handlers import recategorise_carers
from shared import topics
from tests.harness import eventually, read_topic
from tests.integration.registry.support import body, carers, count_carers, event, of_type, send

pytestmark = pytest.mark.kafka


async def _one(registry: Registry, check=lambda c: True):  # type: ignore[no-untyped-def]
    found = await count_carers(registry, 1)
    return found[0] if found and check(found[0]) else None


async def test_gp_coding_is_recorded_and_an_unrecognised_code_is_dead_lettered(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    coded = event(
        "gp.carer_coded",
        {
            "nhs_number": "9434765919",
            "practice_ods_code": "C82001",
            "snomed_code": "224484003",
            "coded_at": "2026-03-02T09:00:00Z",
        },
    )
    wrong = event(
        "gp.carer_coded",
        {
            "nhs_number": "9434765919",
            "practice_ods_code": "C82001",
            "snomed_code": "38341003",
            "coded_at": "2026-03-02T09:00:00Z",
        },
    )
    await send(
        kafka_bootstrap,
        namespace,
        (event("carer.identified", body()), "9434765919"),
        (coded, "9434765919"),
        (wrong, "9434765919"),
    )

    carer = await eventually(lambda: _one(registry, lambda c: c.gp_coded is not None))
    assert carer.gp_coded == {
        "practice_ods_code": "C82001",
        "coded_at": "2026-03-02T09:00:00+00:00",
    }
    letters = await eventually(lambda: _letters(kafka_bootstrap, namespace))
    assert "data.snomed_code" in letters[0]["reason"] and "38341003" in letters[0]["reason"]
    statuses = await eventually(lambda: _latest_status(kafka_bootstrap, namespace, version=2))
    assert statuses["gp_coded"]["practice_ods_code"] == "C82001"


async def test_a_gp_coding_for_someone_new_creates_their_record(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    coded = event(
        "gp.carer_coded",
        {
            "nhs_number": "9000000009",
            "practice_ods_code": "C82001",
            "snomed_code": "224484003",
            "coded_at": "2026-03-02T09:00:00Z",
        },
    )
    await send(kafka_bootstrap, namespace, (coded, "9000000009"))
    carer = await eventually(lambda: _one(registry))
    assert (carer.nhs_number, carer.sources[0].kind) == ("9000000009", "gp")


async def test_consent_updated_replaces_consent_and_is_published(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    await send(kafka_bootstrap, namespace, (event("carer.identified", body()), "9434765919"))
    carer = await eventually(lambda: _one(registry))
    change = event(
        "consent.updated", {"carer_id": carer.carer_id, "share_with": ["gp"], "contact": False}
    )
    unknown = event(
        "consent.updated", {"nhs_number": "9000000009", "share_with": [], "contact": False}
    )
    await send(kafka_bootstrap, namespace, (change, carer.carer_id), (unknown, "9000000009"))

    carer = await eventually(lambda: _one(registry, lambda c: c.version == 2))
    assert carer.consent["share_with"] == ["gp"] and carer.consent["contact"] is False
    assert [c["share_with"] for c in carer.consent_history] == [["gp", "council", "vasl"], ["gp"]]
    updated = await eventually(
        lambda: of_type(kafka_bootstrap, namespace, topics.REGISTRY, "carer.updated")
    )
    assert updated[0]["data"]["consent"] == {"share_with": ["gp"], "contact": False}
    letters = await eventually(lambda: _letters(kafka_bootstrap, namespace))
    assert letters[0]["reason"] == "data.nhs_number: no carer holds this NHS number"


async def test_a_report_without_consent_leaves_earlier_consent_alone(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    silent = body(identified_by={"kind": "hospital", "org_code": "RWE"}, consent=None)
    await send(
        kafka_bootstrap,
        namespace,
        (event("carer.identified", body()), "9434765919"),
        (event("carer.identified", silent, source="ods:RWE"), "9434765919"),
    )
    carer = await eventually(lambda: _one(registry, lambda c: c.version == 2))
    assert carer.consent["share_with"] == ["gp", "council", "vasl"]


async def test_erasure_removes_every_personal_detail_and_tombstones_the_status(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    await send(kafka_bootstrap, namespace, (event("carer.identified", body()), "9434765919"))
    carer = await eventually(lambda: _one(registry))
    erase = event(
        "carer.erasure_requested", {"carer_id": carer.carer_id, "reason": "the carer asked"}
    )
    await send(kafka_bootstrap, namespace, (erase, carer.carer_id), (erase, carer.carer_id))

    erased = await eventually(
        lambda: of_type(kafka_bootstrap, namespace, topics.REGISTRY, "carer.erased")
    )
    assert erased[0]["data"]["carer_id"] == carer.carer_id
    assert await carers(registry) == []
    dump = await _database_text(registry)
    for personal in (
        "9434765919",
        "Siân",
        "O'Connor",
        "sian@example.org",
        "07700900123",
        "LE1 6ZG",
        "look after my mum",
    ):
        assert personal not in dump, f"{personal!r} is still in the registry database"

    async def tombstone() -> bool:
        records = await read_topic(kafka_bootstrap, namespace + topics.STATUS)
        return any(r.key == carer.carer_id.encode() and r.value is None for r in records)

    assert await eventually(tombstone)


async def test_referral_progress_is_kept_in_the_status_snapshot(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    from tests.harness import produce

    await send(kafka_bootstrap, namespace, (event("carer.identified", body()), "9434765919"))
    carer = await eventually(lambda: _one(registry))
    referral = {"referral_id": "r-1", "carer_id": carer.carer_id, "service": "carers_assessment"}
    created = event(
        "referral.created", {**referral, "status": "requested"}, source="urn:carers:referrals"
    )
    completed = event(
        "referral.completed",
        {
            **referral,
            "status": "completed",
            "outcome": {"type": "assessment_completed", "eligible_needs": True},
        },
        source="urn:carers:referrals",
    )
    key = carer.carer_id.encode()
    await produce(kafka_bootstrap, namespace + topics.REFERRALS, [created.to_bytes()], key)
    opened = await eventually(lambda: _latest_status(kafka_bootstrap, namespace, version=2))
    assert opened["open_referrals"] == [
        {"referral_id": "r-1", "service": "carers_assessment", "status": "requested"}
    ]
    await produce(kafka_bootstrap, namespace + topics.REFERRALS, [completed.to_bytes()], key)
    done = await eventually(lambda: _latest_status(kafka_bootstrap, namespace, version=3))
    assert done["open_referrals"] == []
    assert done["assessment"]["eligible_needs"] is True


async def test_a_young_carer_becomes_a_young_adult_carer_as_time_passes(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    today = date.today()
    born = today.replace(year=today.year - 17)
    young = body(person__date_of_birth=born.isoformat())
    await send(kafka_bootstrap, namespace, (event("carer.identified", young), "9434765919"))
    carer = await eventually(lambda: _one(registry))
    assert carer.category(datetime.now(UTC)) == "young_carer"

    a_year_on = datetime.now(UTC) + timedelta(days=366)
    assert await recategorise_carers(registry.unit_of_work, a_year_on) == 1
    assert await recategorise_carers(registry.unit_of_work, a_year_on) == 0  # once only
    updated = await eventually(
        lambda: of_type(kafka_bootstrap, namespace, topics.REGISTRY, "carer.updated")
    )
    assert updated[0]["data"]["category"] == "young_adult_carer"


async def _letters(bootstrap: str, namespace: str) -> list[dict]:
    from tests.harness import events_on

    return await events_on(bootstrap, namespace + topics.DEADLETTER)


async def _latest_status(bootstrap: str, namespace: str, version: int) -> dict | None:
    statuses = await of_type(bootstrap, namespace, topics.STATUS, "carer.status")
    found = [s["data"] for s in statuses if s["data"]["version"] == version]
    return found[0] if found else None


async def _database_text(registry: Registry) -> str:
    """Every value in every registry table, as one string."""
    parts: list[str] = []
    async with registry.runtime.engine.connect() as connection:
        for table in (
            "carers",
            "match_locks",
            "match_reviews",
            "erased_carers",
            "audit_log",
            "inbox",
            "outbox",
        ):
            rows = await connection.execute(text(f"SELECT * FROM {table}"))
            parts.extend(str(value) for row in rows for value in row)
    return "\n".join(parts)


async def test_every_status_snapshot_can_be_republished_for_a_partner_joining_late(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    from services.registry.service_layer.handlers import republish_statuses

    await send(kafka_bootstrap, namespace, (event("carer.identified", body()), "9434765919"))
    await eventually(lambda: _latest_status(kafka_bootstrap, namespace, version=1))
    assert await republish_statuses(registry.unit_of_work, datetime.now(UTC)) == 1

    async def twice() -> list | None:
        found = await of_type(kafka_bootstrap, namespace, topics.STATUS, "carer.status")
        return found if len(found) == 2 else None

    snapshots = await eventually(twice)
    assert snapshots[0]["data"]["version"] == snapshots[1]["data"]["version"] == 1
    assert snapshots[0]["data"]["carer_id"] == snapshots[1]["data"]["carer_id"]
