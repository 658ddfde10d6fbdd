"""The GP coding loop on the real broker (issue 17, item 3), on SQLite and PostgreSQL.

A carer who names their practice and consented to share with their GP, and is not coded
there, is suggested to that practice once, on the practice's own topic only, and is on that
practice's list (``GET /gp/carers-to-code``) and nobody else's; the practice's
``gp.carer_coded`` closes it, as does consent withdrawn; a replay publishes nothing again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.registry.adapters.gp_coding import ITEMS
from services.registry.bootstrap import Registry
from shared import topics
from tests.harness import eventually
from tests.integration.registry.support import body, carers, event, of_type, send

pytestmark = pytest.mark.kafka

COUNCIL = {"kind": "council", "org_code": "LCC", "org_name": "Leicestershire County Council"}
WITH_GP = {"share_with": ["gp", "council"], "contact": True}
C82001_TOPIC = topics.partner_outbound("gp", "C82001")  # a practice on Kafka
# C84001 has no topic of its own: it reads its list over HTTP.


def _identified(nhs_number: str, practice: str, consent: dict[str, Any] = WITH_GP) -> Any:
    data = body(
        identified_by=COUNCIL,
        consent=consent,
        person__nhs_number=nhs_number,
        person__gp_practice_ods=practice,
    )
    return event("carer.identified", data, source="ods:LCC")


async def _suggestions(kafka: str, namespace: str) -> list[dict[str, Any]]:
    return await of_type(kafka, namespace, C82001_TOPIC, "gp.coding_suggested")


async def _list(
    api: httpx.AsyncClient, headers: dict[str, str], expected: int | None = None
) -> dict[str, Any] | None:
    answer = await api.get("/gp/carers-to-code", headers=headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found if expected is None or found["total"] == expected else None


async def test_a_carer_naming_their_practice_is_suggested_once_and_closed_by_coding(
    registry: Registry,
    registry_http: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token: Callable[..., dict[str, str]],
) -> None:
    sian = _identified("9434765919", "c82001")  # lower case: the ODS code is upper-cased
    other_practice = _identified("9434765927", "C84001")
    no_gp_consent = _identified(
        "9434765870", "C82001", {"share_with": ["council"], "contact": True}
    )
    await send(
        kafka_bootstrap,
        namespace,
        (sian, "9434765919"),
        (other_practice, "9434765927"),
        (no_gp_consent, "9434765870"),
    )
    c82001, c84001 = token("gp", "C82001"), token("gp", "C84001")
    listed = await eventually(lambda: _list(registry_http, c82001, 1))
    by_number = {c.nhs_number: c for c in await carers(registry)}
    sian_id = by_number["9434765919"].carer_id
    assert [i["carer_id"] for i in listed["items"]] == [sian_id]
    assert listed["items"][0]["nhs_number"] == "9434765919"
    assert listed["items"][0]["snomed_code"] == "224484003"
    assert "email" not in listed["items"][0] and "mobile" not in listed["items"][0]

    # Each practice sees its own carers only; a practice with none sees an empty list.
    theirs = await eventually(lambda: _list(registry_http, c84001, 1))
    assert [i["nhs_number"] for i in theirs["items"]] == ["9434765927"]
    assert (await _list(registry_http, token("gp", "A81001")))["items"] == []  # type: ignore[index]
    assert (
        await registry_http.get("/gp/carers-to-code", headers=token("council"))
    ).status_code == 403

    # The trust gap closed: the registered practice reads its carer; another practice cannot.
    assert (await registry_http.get(f"/carers/{sian_id}", headers=c82001)).status_code == 200
    assert (await registry_http.get(f"/carers/{sian_id}", headers=c84001)).status_code == 404

    # One suggestion, on C82001's own topic; C84001's carer was never put on a shared topic.
    suggested = await eventually(lambda: _suggestions(kafka_bootstrap, namespace))
    assert [(s["subject"], s["data"]["practice_ods_code"]) for s in suggested] == [
        (sian_id, "C82001")
    ]
    assert suggested[0]["data"]["nhs_number"] == "9434765919"
    registry_events = await of_type(
        kafka_bootstrap, namespace, topics.REGISTRY, "gp.coding_suggested"
    )
    assert registry_events == []

    # A replay (the same event again) and a new report of the same carer publish nothing new.
    again = _identified("9434765919", "C82001")
    await send(kafka_bootstrap, namespace, (sian, "9434765919"), (again, "9434765919"))
    await eventually(
        lambda: _carer_sources(registry, "9434765919", 2)
    )  # the new report was applied
    assert len(await _suggestions(kafka_bootstrap, namespace)) == 1

    # The practice codes the carer: off the list, and never suggested again.
    coded = event(
        "gp.carer_coded",
        {
            "nhs_number": "9434765919",
            "practice_ods_code": "C82001",
            "snomed_code": "224484003",
            "coded_at": "2026-03-02T09:00:00Z",
        },
        source="ods:C82001",
    )
    await send(kafka_bootstrap, namespace, (coded, "9434765919"))
    await eventually(lambda: _list(registry_http, c82001, 0))
    await send(kafka_bootstrap, namespace, (_identified("9434765919", "C82001"), "9434765919"))
    await eventually(lambda: _carer_sources(registry, "9434765919", 4))
    assert (await _list(registry_http, c82001))["total"] == 0  # type: ignore[index]
    assert len(await _suggestions(kafka_bootstrap, namespace)) == 1

    # Consent withdrawn from the GP takes the carer off their practice's list.
    withdraw = event(
        "consent.updated",
        {"nhs_number": "9434765927", "share_with": ["council"], "contact": True},
        source="ods:LCC",
    )
    await send(kafka_bootstrap, namespace, (withdraw, "9434765927"))
    await eventually(lambda: _list(registry_http, c84001, 0))

    # Every carer shown on a list was audited as a read.
    async with registry.unit_of_work() as uow:
        entries = await uow.carers.audit_entries(sian_id)
    shown = [(e.org, e.outcome) for e in entries if e.action == "gp_list"]
    assert shown and set(shown) == {("C82001", "allowed")}

    # Erasure removes the carer's coding items with the rest of their data.
    erase = event(
        "carer.erasure_requested",
        {"carer_id": sian_id, "reason": "The carer asked us to delete their data."},
        source="ods:LCC",
    )
    await send(kafka_bootstrap, namespace, (erase, "9434765919"))
    await eventually(lambda: _items_left(registry, sian_id, 0))


async def _items_left(registry: Registry, carer_id: str, count: int) -> bool:
    async with registry.runtime.sessions() as session:
        found = await session.scalar(
            select(func.count()).select_from(ITEMS).where(ITEMS.c.carer_id == carer_id)
        )
    return found == count


async def _carer_sources(registry: Registry, nhs_number: str, count: int) -> bool:
    found = [c for c in await carers(registry) if c.nhs_number == nhs_number]
    return bool(found) and len(found[0].sources) >= count
