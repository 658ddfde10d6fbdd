"""A review decision over the JSON API is kept with who made it and why, and audited, as on
the council's review page (issue 17, item 4: one rule, ``handlers.resolve_review``)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from services.registry.adapters.orm import MatchReview
from services.registry.bootstrap import Registry
from tests.harness import eventually
from tests.integration.registry.support import body, event, send

pytestmark = pytest.mark.kafka


async def test_a_decision_over_the_api_keeps_who_and_why_and_is_audited(
    registry: Registry,
    registry_http: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token: Callable[..., dict[str, str]],
) -> None:
    unnumbered = body(
        person__nhs_number=None, identified_by={"kind": "hospital", "org_code": "RWE"}
    )
    await send(
        kafka_bootstrap,
        namespace,
        (event("carer.identified", body()), "9434765919"),
        (event("carer.identified", body(person__nhs_number="9000000009")), "9000000009"),
        (event("carer.identified", unnumbered, source="ods:RWE"), "ref-x"),
    )
    council = token("council", "LCC")

    async def held() -> list:  # type: ignore[type-arg]
        return (await registry_http.get("/reviews", headers=council)).json()  # type: ignore[no-any-return]

    [review] = await eventually(held)
    into = review["candidate_ids"][0]
    answer = await registry_http.post(
        f"/reviews/{review['review_id']}/resolve",
        json={"decision": "merge", "into": into, "reason": "  Same patient at the hospital.  "},
        headers=council,
    )
    assert answer.status_code == 200, answer.text
    async with registry.unit_of_work() as uow:
        stored = await uow.session.get(MatchReview, review["review_id"])
        entries = await uow.carers.audit_entries(into)
    assert stored is not None
    assert (stored.status, stored.decided_by) == ("merged", "council:LCC")
    assert stored.decision_reason == "Same patient at the hospital."
    assert stored.decided_at is not None
    assert [(e.action, e.org, e.outcome) for e in entries] == [("review:merge", "LCC", "allowed")]
