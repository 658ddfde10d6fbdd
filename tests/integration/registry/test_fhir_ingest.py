"""``POST /fhir/$process-message`` on the real broker and both databases: an accepted Bundle
becomes the carer record, a resend has no second effect, and every rejection is an
OperationOutcome that publishes nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlmodel import select

from services.registry.adapters.orm import CarerRow
from services.registry.bootstrap import Registry
from shared import topics
from tests.harness import eventually, read_topic

pytestmark = pytest.mark.kafka

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "fhir-carer-identified.json"
PATH = "/fhir/$process-message"
FHIR_JSON = "application/fhir+json"
Bearer = Callable[[str, str], dict[str, str]]


def bundle(bundle_id: str | None = None, nhs_number: str | None = None) -> dict[str, Any]:
    """The contract's example; another id and NHS number make it another message and person."""
    data = copy.deepcopy(json.loads(EXAMPLE.read_text()))
    if bundle_id:
        data["id"] = bundle_id
    if nhs_number:
        data["entry"][1]["resource"]["identifier"][0]["value"] = nhs_number
    return data


async def post(api: httpx.AsyncClient, body: Any, headers: dict[str, str]) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await api.post(PATH, content=content, headers={"Content-Type": FHIR_JSON, **headers})


async def records(registry: Registry) -> dict[str, dict[str, Any]]:
    """Every carer document in the registry database, by NHS number."""
    async with registry.runtime.sessions() as session:
        rows = (await session.exec(select(CarerRow))).all()
    return {row.nhs_number or row.carer_id: orjson.loads(row.document) for row in rows}


async def records_count(registry: Registry, expected: int) -> dict[str, dict[str, Any]]:
    """Waits until the registry holds ``expected`` carer records, and returns them."""

    async def counted() -> dict[str, dict[str, Any]] | None:
        found = await records(registry)
        return found if len(found) == expected else None

    found = await eventually(counted)
    assert found is not None
    return found


def issue_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith(FHIR_JSON)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    return outcome["issue"][0]


async def test_an_accepted_bundle_becomes_the_carer_record_with_names_kept_exactly(
    registry: Registry, api: httpx.AsyncClient, bearer: Bearer
) -> None:
    response = await post(api, bundle(), bearer("gp", "C82001"))

    assert response.status_code == 202
    issue = issue_of(response)
    assert (issue["severity"], issue["code"]) == ("information", "informational")
    assert issue["details"]["text"] == "5f0c8f0e-6c1b-4a43-9f7e-2b1f3d1c9a01"
    carer = (await records_count(registry, 1))["9434765919"]
    assert (carer["given_name"], carer["family_name"]) == ("Siân", "O'Connor-Smith")
    assert carer["date_of_birth"] == "1968-04-12" and carer["postcode"] == "LE1 6ZG"
    assert [(s["kind"], s["org_code"], s["event_id"]) for s in carer["sources"]] == [
        ("gp", "C82001", "5f0c8f0e-6c1b-4a43-9f7e-2b1f3d1c9a01")
    ]
    assert carer["consent"]["share_with"] == ["council", "vasl"]
    assert carer["consent"]["contact"] is True
    assert carer["stories"][0]["text"].startswith("Cares for her mother")


async def test_a_resent_bundle_is_a_duplicate_with_no_second_effect(
    registry: Registry, api: httpx.AsyncClient, bearer: Bearer, kafka_bootstrap: str, namespace: str
) -> None:
    gp = bearer("gp", "C82001")
    first, again = await post(api, bundle(), gp), await post(api, bundle(), gp)
    # A later, different message: once it is applied, the resend has been dealt with too.
    marker = await post(api, bundle("marker-1", "9000000009"), gp)

    assert [first.status_code, again.status_code, marker.status_code] == [202, 202, 202]
    assert issue_of(first)["details"] == issue_of(again)["details"]
    carers = await records_count(registry, 2)
    sian = carers["9434765919"]
    assert len(sian["sources"]) == 1 and sian["version"] == 1
    published = [
        json.loads(r.value)["type"]
        for r in await read_topic(kafka_bootstrap, namespace + topics.REGISTRY)
    ]
    assert sorted(published) == ["carer.registered", "carer.registered"]


async def test_a_body_that_is_not_a_fhir_bundle_is_a_400_and_nothing_is_published(
    registry: Registry, api: httpx.AsyncClient, bearer: Bearer, kafka_bootstrap: str, namespace: str
) -> None:
    gp = bearer("gp", "C82001")
    identification = {"identified_by": {"kind": "gp"}, "person": {"nhs_number": "9434765919"}}

    not_a_bundle = await post(api, identification, gp)
    not_json = await post(api, b"{not json", gp)
    not_r4 = await post(api, {**bundle(), "colour": "blue"}, gp)

    assert [not_a_bundle.status_code, not_json.status_code, not_r4.status_code] == [400] * 3
    assert issue_of(not_a_bundle)["code"] == "structure"
    assert issue_of(not_json)["diagnostics"].startswith("the body is not JSON")
    assert issue_of(not_r4)["expression"] == ["Bundle.colour"]
    assert await read_topic(kafka_bootstrap, namespace + topics.INBOUND) == []


async def test_a_bundle_breaking_our_rules_is_a_422_naming_each_element(
    registry: Registry, api: httpx.AsyncClient, bearer: Bearer, kafka_bootstrap: str, namespace: str
) -> None:
    broken = bundle()
    broken["entry"][1]["resource"]["identifier"][0]["value"] = "9434765918"
    broken["entry"][1]["resource"]["birthDate"] = "2090-01-01"
    broken["entry"][2]["resource"]["code"]["coding"][0]["code"] = "38341003"

    response = await post(api, broken, bearer("hospital", "C82001"))

    assert response.status_code == 422
    outcome = response.json()
    assert [(i["severity"], i["code"], i["expression"]) for i in outcome["issue"]] == [
        ("error", "value", ["Bundle.entry[2].resource.code.coding[0].code"]),
        ("error", "value", ["Bundle.entry[1].resource.identifier[0].value"]),
        ("error", "value", ["Bundle.entry[1].resource.birthDate"]),
    ]
    assert [i["diagnostics"] for i in outcome["issue"][1:]] == [
        "fails the NHS number Modulus 11 check",
        "The birthDate: is in the future",
    ]
    assert await read_topic(kafka_bootstrap, namespace + topics.INBOUND) == []


async def test_without_a_token_it_is_a_401_operation_outcome(
    registry: Registry, api: httpx.AsyncClient
) -> None:
    response = await post(api, bundle(), {})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert issue_of(response)["code"] == "login"


async def test_a_council_token_is_a_403_and_so_is_another_organisations_token(
    registry: Registry, api: httpx.AsyncClient, bearer: Bearer, kafka_bootstrap: str, namespace: str
) -> None:
    council = await post(api, bundle(), bearer("council", "LCC"))
    impostor = await post(api, bundle(), bearer("gp", "Y00001"))

    assert (council.status_code, impostor.status_code) == (403, 403)
    assert issue_of(council)["code"] == "forbidden"
    assert issue_of(impostor)["expression"] == ["Bundle.entry[0].resource.sender.identifier.value"]
    assert await read_topic(kafka_bootstrap, namespace + topics.INBOUND) == []


async def test_xml_is_refused_with_415(
    registry: Registry, api: httpx.AsyncClient, bearer: Bearer
) -> None:
    headers = {**bearer("gp", "C82001"), "Content-Type": "application/fhir+xml"}
    response = await api.post(PATH, content=b"<Bundle/>", headers=headers)

    assert response.status_code == 415
    assert issue_of(response)["code"] == "not-supported"
