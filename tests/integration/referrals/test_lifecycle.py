"""Each lifecycle step over the API, its event on the broker, its 409s and 422s, and the
registry's status snapshot following along."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.referrals.bootstrap import Referrals
from services.registry.bootstrap import Registry
from shared import topics
from tests.harness import events_on, eventually
from tests.integration.referrals.support import referral_events, seed

pytestmark = pytest.mark.kafka
Headers = Callable[..., dict[str, str]]
EXAMPLE = Path(__file__).resolve().parents[3] / "docs/examples/cloudevent-carer-identified.json"


async def _events(bootstrap: str, namespace: str, referral_id: str, count: int) -> list:
    found = [
        e
        for e in await referral_events(bootstrap, namespace)
        if e["data"]["referral_id"] == referral_id
    ]
    return found if len(found) >= count else []


async def test_accept_then_complete_publishes_each_step_in_order(
    referrals: Referrals, api: httpx.AsyncClient, kafka_bootstrap: str, namespace: str, token
) -> None:
    referral = await seed(referrals, "carers_assessment")
    council = token("council", "LCC")

    accepted = await api.post(f"/referrals/{referral.referral_id}/accept", headers=council)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    outcome = {
        "type": "assessment_completed",
        "eligible_needs": True,
        "direct_payment": {"kind": "weekly", "amount": "120.5"},
    }
    done = await api.post(
        f"/referrals/{referral.referral_id}/complete", json={"outcome": outcome}, headers=council
    )
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "completed"
    assert body["outcome"]["direct_payment"] == {"kind": "weekly", "amount": "120.50"}
    assert [h["by"] for h in body["history"][1:]] == ["council:LCC", "council:LCC"]

    published = await eventually(
        lambda: _events(kafka_bootstrap, namespace, referral.referral_id, 3)
    )
    assert [e["type"] for e in published] == [
        "referral.created",
        "referral.accepted",
        "referral.completed",
    ]
    assert published[-1]["data"]["outcome"] == body["outcome"]
    assert {e["subject"] for e in published} == {referral.carer_id}


async def test_every_kind_of_outcome_completes_its_referral(
    referrals: Referrals, api: httpx.AsyncClient, token
) -> None:
    cases: list[tuple[str, str, dict[str, Any]]] = [
        (
            "young_carers",
            "council",
            {"type": "passport_issued", "number": "YC-0342", "issued_on": "2026-01-15"},
        ),
        ("carers_assessment", "council", {"type": "assessment_completed", "eligible_needs": False}),
        (
            "support_at_home",
            "council",
            {
                "type": "assessment_completed",
                "eligible_needs": True,
                "direct_payment": {"kind": "one_off", "amount": "300"},
            },
        ),
        ("vasl", "vasl", {"type": "signposted", "to": "Lutterworth carers café"}),
    ]
    for service, role, outcome in cases:
        referral = await seed(referrals, service)
        path = f"/referrals/{referral.referral_id}"
        assert (await api.post(f"{path}/accept", headers=token(role))).status_code == 200
        done = await api.post(f"{path}/complete", json={"outcome": outcome}, headers=token(role))
        assert done.status_code == 200, done.text
        assert done.json()["outcome"]["type"] == outcome["type"]


async def test_decline_and_withdraw_need_a_reason_and_publish_it(
    referrals: Referrals, api: httpx.AsyncClient, kafka_bootstrap: str, namespace: str, token
) -> None:
    declined, withdrawn = await seed(referrals), await seed(referrals)
    vasl = token("vasl", "VASL")
    missing = await api.post(f"/referrals/{declined.referral_id}/decline", json={}, headers=vasl)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "reason"]
    blank = await api.post(
        f"/referrals/{declined.referral_id}/decline", json={"reason": "  "}, headers=vasl
    )
    assert blank.status_code == 422

    reason = "Lives outside Leicestershire: referred to Rutland's carers service"
    answer = await api.post(
        f"/referrals/{declined.referral_id}/decline", json={"reason": reason}, headers=vasl
    )
    assert answer.status_code == 200 and answer.json()["reason"] == reason
    answer = await api.post(
        f"/referrals/{withdrawn.referral_id}/withdraw",
        json={"reason": "The carer asked us to stop"},
        headers=vasl,
    )
    assert answer.status_code == 200 and answer.json()["status"] == "withdrawn"

    published = await eventually(
        lambda: _events(kafka_bootstrap, namespace, declined.referral_id, 2)
    )
    assert published[-1]["type"] == "referral.declined"
    assert published[-1]["data"]["reason"] == reason


async def test_illegal_steps_are_409_and_change_nothing(
    referrals: Referrals, api: httpx.AsyncClient, token
) -> None:
    council = token("council")
    referral = await seed(referrals, "carers_assessment")
    path = f"/referrals/{referral.referral_id}"
    outcome = {"outcome": {"type": "signposted", "to": "Age UK"}}

    early = await api.post(f"{path}/complete", json=outcome, headers=council)
    assert early.status_code == 409
    assert early.json()["detail"] == (
        "cannot complete a referral that is requested; only one that is accepted"
    )
    assert (await api.post(f"{path}/accept", headers=council)).status_code == 200
    assert (await api.post(f"{path}/accept", headers=council)).status_code == 409
    assert (await api.post(f"{path}/complete", json=outcome, headers=council)).status_code == 200
    for step, body in [("accept", None), ("complete", outcome), ("decline", {"reason": "x"})]:
        answer = await api.post(f"{path}/{step}", json=body, headers=council)
        assert answer.status_code == 409, step
    answer = await api.post(f"{path}/withdraw", json={"reason": "x"}, headers=council)
    assert answer.status_code == 409
    current = await api.get(path, headers=council)
    assert current.json()["status"] == "completed"
    assert current.json()["outcome"] == outcome["outcome"]


async def test_a_wrong_outcome_is_422_naming_the_field_and_the_referral_stays_accepted(
    referrals: Referrals, api: httpx.AsyncClient, token
) -> None:
    council = token("council")
    referral = await seed(referrals, "young_carers")
    path = f"/referrals/{referral.referral_id}"
    await api.post(f"{path}/accept", headers=council)
    wrong = {
        "type": "assessment_completed",
        "eligible_needs": True,
        "direct_payment": {"kind": "weekly", "amount": "12.345"},
    }
    answer = await api.post(f"{path}/complete", json={"outcome": wrong}, headers=council)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "outcome", "direct_payment", "amount"]
    answer = await api.post(f"{path}/complete", json={"outcome": "done"}, headers=council)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "outcome"]
    answer = await api.post(f"{path}/complete", content=b"{not json", headers=council)
    assert answer.status_code == 422
    assert (await api.get(path, headers=council)).json()["status"] == "accepted"


async def test_progress_reaches_the_registrys_status_snapshot(
    referrals: Referrals,
    registry: Registry,
    registry_http: httpx.AsyncClient,
    api: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token,
) -> None:
    """A GP identifies a carer asking for an assessment; the council accepts and completes
    it; the registry's snapshot shows the open referral, then the assessment's outcome."""
    body = json.loads(EXAMPLE.read_text())["data"]
    body["support_requested"] = ["carers_assessment"]
    body["consent"]["share_with"] = ["gp", "council"]
    sent = await registry_http.post("/identifications", json=body, headers=token("gp", "C82001"))
    assert sent.status_code == 202
    council = token("council", "LCC")

    async def queued() -> list[dict[str, Any]]:
        return (await api.get("/referrals", headers=council)).json()  # type: ignore[no-any-return]

    (referral,) = await eventually(queued)
    assert referral["service"] == "carers_assessment" and referral["story"] == body["story"]
    opened = await eventually(lambda: _snapshot(kafka_bootstrap, namespace, "open_referrals"))
    assert opened["open_referrals"] == [
        {
            "referral_id": referral["referral_id"],
            "service": "carers_assessment",
            "status": "requested",
        }
    ]

    path = f"/referrals/{referral['referral_id']}"
    assert (await api.post(f"{path}/accept", headers=council)).status_code == 200
    outcome = {
        "type": "assessment_completed",
        "eligible_needs": True,
        "direct_payment": {"kind": "one_off", "amount": "250.00"},
    }
    done = await api.post(f"{path}/complete", json={"outcome": outcome}, headers=council)
    assert done.status_code == 200
    status = await eventually(lambda: _snapshot(kafka_bootstrap, namespace, "assessment"))
    assert status["open_referrals"] == []
    assert status["assessment"]["eligible_needs"] is True
    assert status["assessment"]["direct_payment"] == {"kind": "one_off", "amount": "250.00"}
    assert status["assessment"]["referral_id"] == referral["referral_id"]


async def _snapshot(bootstrap: str, namespace: str, field: str) -> dict[str, Any] | None:
    """The latest status snapshot, once ``field`` in it is set."""
    snapshots = [e for e in await events_on(bootstrap, namespace + topics.STATUS) if e]
    if not snapshots:
        return None
    latest: dict[str, Any] = max(snapshots, key=lambda e: e["data"]["version"])["data"]
    return latest if latest.get(field) else None
