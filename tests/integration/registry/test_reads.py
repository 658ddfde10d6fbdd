"""Who may read a carer's record: roles, consent, and an audit entry for every read."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from services.registry.bootstrap import Registry
from shared.auth import mint_token
from tests.harness import eventually
from tests.integration.registry.support import body, count_carers, event, send

pytestmark = pytest.mark.kafka


async def test_reads_are_scoped_by_role_and_consent_and_every_read_is_audited(
    registry: Registry,
    registry_http: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token: Callable[..., dict[str, str]],
) -> None:
    only_gp_and_council = body(consent={"share_with": ["gp", "council"], "contact": True})
    await send(
        kafka_bootstrap, namespace, (event("carer.identified", only_gp_and_council), "9434765919")
    )
    [carer] = await eventually(lambda: count_carers(registry, 1))

    council = await registry_http.get(f"/carers/{carer.carer_id}", headers=token("council", "LCC"))
    assert council.status_code == 200
    assert council.json()["given_name"] == "Siân"
    assert council.json()["status"]["version"] == 1
    by_number = await registry_http.get(
        "/carers", params={"nhs_number": "9434765919"}, headers=token("gp", "C82001")
    )
    assert by_number.status_code == 200 and by_number.json()["carer_id"] == carer.carer_id

    vasl = await registry_http.get(f"/carers/{carer.carer_id}", headers=token("vasl", "VASL"))
    missing = await registry_http.get("/carers/nobody", headers=token("admin"))
    # Not permitted looks exactly like not found: existence does not leak (contract 6.4).
    assert vasl.status_code == missing.status_code == 404
    assert vasl.json() == missing.json() == {"detail": "no such carer"}
    hospital = await registry_http.get(f"/carers/{carer.carer_id}", headers=token("hospital"))
    assert hospital.status_code == 403  # hospitals identify carers; they do not read records

    async with registry.unit_of_work() as uow:
        entries = await uow.carers.audit_entries(carer.carer_id)
    assert [(e.role, e.org, e.action, e.outcome) for e in entries] == [
        ("council", "LCC", "read", "allowed"),
        ("gp", "C82001", "find_by_nhs_number", "allowed"),
        ("vasl", "VASL", "read", "refused:consent"),
    ]
    assert all(e.subject and e.at for e in entries)  # who and when; never the data


async def test_tokens_are_required_and_checked(
    registry_http: httpx.AsyncClient, token: Callable[..., dict[str, str]]
) -> None:
    example = body()
    assert (await registry_http.post("/identifications", json=example)).status_code == 401
    forged = {
        "Authorization": f"Bearer {mint_token('another-secret-entirely-32-chars!', 'gp', 'X')}"
    }
    answer = await registry_http.post("/identifications", json=example, headers=forged)
    assert answer.status_code == 401 and "invalid token" in answer.json()["detail"]
    garbage = await registry_http.get("/carers/x", headers={"Authorization": "Bearer nonsense"})
    assert garbage.status_code == 401
    admin_ingest = await registry_http.post(
        "/identifications", json=example, headers=token("admin")
    )
    assert admin_ingest.status_code == 403  # identification is for partners


async def test_an_identification_over_http_gets_202_and_a_bad_one_422_naming_the_field(
    registry: Registry,
    registry_http: httpx.AsyncClient,
    token: Callable[..., dict[str, str]],
) -> None:
    accepted = await registry_http.post(
        "/identifications", json=body(), headers=token("gp", "C82001")
    )
    assert accepted.status_code == 202 and accepted.json()["id"]
    bad = await registry_http.post(
        "/identifications",
        json=body(person__date_of_birth="2999-01-01", person__mobile="01162323232"),
        headers=token("gp", "C82001"),
    )
    assert bad.status_code == 422
    fields = {".".join(d["loc"]) for d in bad.json()["detail"]}
    assert fields == {"data.person.date_of_birth", "data.person.mobile"}
    [carer] = await eventually(lambda: count_carers(registry, 1))
    assert carer.sources[0].org_code == "C82001"
