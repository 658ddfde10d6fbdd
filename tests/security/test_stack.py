"""The abuse suite's stage works for honest callers: without this, every "refused" below could
be a system that refuses everything."""

from __future__ import annotations

from tests.security.conftest import Stack, example_identification


def test_an_honest_gp_identification_reaches_the_carer_record(stack: Stack) -> None:
    body = example_identification(nhs_number="9000000009", email="honest@example.org")
    body["identified_by"] = {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"}
    with stack.client("registry", headers=stack.headers("gp", "C82001")) as registry:
        answer = registry.post("/identifications", json=body)
        assert answer.status_code == 202, answer.text

        def found() -> object:
            response = registry.get("/carers", params={"nhs_number": "9000000009"})
            return response.json() if response.status_code == 200 else None

        carer = stack.wait_for(found)
    assert carer["nhs_number"] == "9000000009"
    assert [s["org_code"] for s in carer["sources"]] == ["C82001"]
