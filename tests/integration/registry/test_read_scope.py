"""Object-level read access (contract 6.4): a GP reads only its own practice's carers, and a
caller that may not read a record cannot tell it from one that does not exist.

Observed on main before issue 13: a GP at any practice read any carer who consented to "gp",
and ``GET /carers?nhs_number=`` answered 403 for a registered carer without consent but 404
for an unknown number, so whether someone is a registered carer leaked.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from services.registry.bootstrap import Registry
from tests.harness import eventually
from tests.integration.registry.support import body, carers, event, send

pytestmark = pytest.mark.kafka

HOSPITAL = {"kind": "hospital", "org_code": "RX1", "org_name": "Leicester Royal Infirmary"}


async def _carer_with(registry: Registry, nhs_number: str, check=lambda c: True):  # type: ignore[no-untyped-def]
    found = [c for c in await carers(registry) if c.nhs_number == nhs_number and check(c)]
    return found[0] if found else None


async def test_a_gp_reads_only_carers_its_own_practice_identified_or_coded(
    registry: Registry,
    registry_http: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token: Callable[..., dict[str, str]],
) -> None:
    consented = {"share_with": ["gp", "council"], "contact": True}
    by_hospital = body(identified_by=HOSPITAL, consent=consented, person__nhs_number="9434765919")
    by_practice = body(consent=consented, person__nhs_number="9434765927")
    coded = event(
        "gp.carer_coded",
        {
            "nhs_number": "9434765919",
            "practice_ods_code": "C84001",
            "snomed_code": "224484003",
            "coded_at": "2026-03-02T09:00:00Z",
        },
        source="ods:C84001",
    )
    await send(
        kafka_bootstrap,
        namespace,
        (event("carer.identified", by_hospital, source="ods:RX1"), "9434765919"),
        (event("carer.identified", by_practice), "9434765927"),
    )
    hospital_carer = await eventually(lambda: _carer_with(registry, "9434765919"))
    practice_carer = await eventually(lambda: _carer_with(registry, "9434765927"))
    other_practice = token("gp", "C82001")  # identified 9434765927, never 9434765919

    # Both consented to "gp", but only one is C82001's own patient.
    own = await registry_http.get(f"/carers/{practice_carer.carer_id}", headers=other_practice)
    assert own.status_code == 200 and own.json()["carer_id"] == practice_carer.carer_id
    stranger = await registry_http.get(f"/carers/{hospital_carer.carer_id}", headers=other_practice)
    unknown = await registry_http.get("/carers/no-such-carer", headers=other_practice)
    assert stranger.status_code == unknown.status_code == 404
    assert stranger.json() == unknown.json()

    # The practice that codes the carer may read them from then on; the other still may not.
    await send(kafka_bootstrap, namespace, (coded, "9434765919"))
    await eventually(lambda: _carer_with(registry, "9434765919", lambda c: c.gp_coded))
    coding_practice = token("gp", "C84001")
    read = await registry_http.get(f"/carers/{hospital_carer.carer_id}", headers=coding_practice)
    assert read.status_code == 200 and read.json()["gp_coded"]["practice_ods_code"] == "C84001"
    still = await registry_http.get(f"/carers/{hospital_carer.carer_id}", headers=other_practice)
    assert still.status_code == 404

    async with registry.unit_of_work() as uow:
        entries = await uow.carers.audit_entries(hospital_carer.carer_id)
    assert [(e.org, e.outcome) for e in entries] == [
        ("C82001", "refused:practice"),
        ("C84001", "allowed"),
        ("C82001", "refused:practice"),
    ]


async def test_probing_nhs_numbers_cannot_tell_a_carer_without_consent_from_nobody(
    registry: Registry,
    registry_http: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token: Callable[..., dict[str, str]],
) -> None:
    only_gp = body(consent={"share_with": ["gp"], "contact": False})
    await send(kafka_bootstrap, namespace, (event("carer.identified", only_gp), "9434765919"))
    carer = await eventually(lambda: _carer_with(registry, "9434765919"))

    for role, org in (("council", "LCC"), ("vasl", "VASL")):
        headers = token(role, org)
        registered = await registry_http.get(
            "/carers", params={"nhs_number": "9434765919"}, headers=headers
        )
        nobody = await registry_http.get(
            "/carers", params={"nhs_number": "9434765935"}, headers=headers
        )
        assert (registered.status_code, registered.json()) == (nobody.status_code, nobody.json())
        assert registered.status_code == 404
        assert registered.headers.get("content-length") == nobody.headers.get("content-length")

    # The audit log knows the difference the caller could not see.
    async with registry.unit_of_work() as uow:
        entries = await uow.carers.audit_entries(carer.carer_id)
    assert [(e.role, e.action, e.outcome) for e in entries] == [
        ("council", "find_by_nhs_number", "refused:consent"),
        ("vasl", "find_by_nhs_number", "refused:consent"),
    ]
