"""Every referral rule, through the real broker: from the registry's events to referrals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text

from services.referrals.bootstrap import Referrals
from services.referrals.domain.model import Referral
from tests.harness import eventually
from tests.integration.referrals.support import (
    STORY,
    carer_event,
    erased,
    handled,
    merged,
    new_carer_id,
    referral_events,
    referrals_of,
    send,
)

pytestmark = pytest.mark.kafka
Headers = Callable[..., dict[str, str]]


def by_service(found: list[Referral]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for referral in found:
        grouped.setdefault(referral.service, []).append(referral.status)
    return grouped


async def until(referrals: Referrals, carer_id: str, expected: dict[str, list[str]]) -> None:
    async def check() -> bool:
        return by_service(await referrals_of(referrals, carer_id)) == expected

    await eventually(check)


async def test_each_rule_opens_its_referral_carrying_the_carers_story(
    referrals: Referrals,
    api: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token: Headers,
) -> None:
    young = carer_event(
        category="young_carer",
        share_with=("council",),
        support_requested=("carers_assessment", "young_carers_support"),
    )
    adult = carer_event(category="adult_carer", share_with=("gp", "vasl"))
    young_adult = carer_event(
        category="young_adult_carer",
        share_with=("council", "vasl"),
        support_requested=("carers_assessment",),
    )
    no_consent = carer_event(category="adult_carer", share_with=("gp",))
    asked_without_consent = carer_event(
        category="young_carer", share_with=("gp", "vasl"), support_requested=("carers_assessment",)
    )
    await send(kafka_bootstrap, namespace, young, adult, young_adult, no_consent)
    await send(kafka_bootstrap, namespace, asked_without_consent)

    await until(
        referrals,
        young.subject or "",
        {"young_carers": ["requested"], "carers_assessment": ["requested"]},
    )
    await until(referrals, adult.subject or "", {"vasl": ["requested"]})
    await until(
        referrals,
        young_adult.subject or "",
        {"vasl": ["requested"], "carers_assessment": ["requested"]},
    )
    created = await eventually(lambda: _at_least(kafka_bootstrap, namespace, "referral.created", 5))
    assert await referrals_of(referrals, no_consent.subject or "") == []
    assert await referrals_of(referrals, asked_without_consent.subject or "") == []
    assert {(e["data"]["carer_id"], e["data"]["service"]) for e in created} == {
        (young.subject or "", "young_carers"),
        (young.subject or "", "carers_assessment"),
        (adult.subject or "", "vasl"),
        (young_adult.subject or "", "vasl"),
        (young_adult.subject or "", "carers_assessment"),
    }
    assert all(e["source"] == "urn:carers:referrals" for e in created)

    queue = await api.get("/referrals", params={"carer_id": adult.subject}, headers=token("vasl"))
    (referral,) = queue.json()
    assert referral["story"] == STORY
    assert referral["identified_by"] == [
        {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"}
    ]
    assert referral["carer"]["given_name"] == "Siân"


async def _at_least(bootstrap: str, namespace: str, event_type: str, count: int) -> list:
    found = await referral_events(bootstrap, namespace, event_type)
    return found if len(found) >= count else []


async def test_withdrawn_consent_withdraws_open_referrals_and_consent_given_again_refers_again(
    referrals: Referrals, api: httpx.AsyncClient, kafka_bootstrap: str, namespace: str, token
) -> None:
    carer_id = new_carer_id()
    await send(
        kafka_bootstrap,
        namespace,
        carer_event(
            carer_id, share_with=("council", "vasl"), support_requested=("carers_assessment",)
        ),
    )
    await until(referrals, carer_id, {"vasl": ["requested"], "carers_assessment": ["requested"]})
    (assessment,) = [r for r in await referrals_of(referrals, carer_id) if r.service != "vasl"]
    accepted = await api.post(
        f"/referrals/{assessment.referral_id}/accept", headers=token("council")
    )
    assert accepted.status_code == 200

    await send(
        kafka_bootstrap,
        namespace,
        carer_event(carer_id, event_type="carer.updated", share_with=("gp",)),
    )
    await until(referrals, carer_id, {"vasl": ["withdrawn"], "carers_assessment": ["withdrawn"]})
    reasons = {r.service: r.reason for r in await referrals_of(referrals, carer_id)}
    assert reasons == {
        "vasl": "the carer withdrew consent to share with VASL",
        "carers_assessment": (
            "the carer withdrew consent to share with Leicestershire County Council"
        ),
    }
    withdrawn = await eventually(
        lambda: _at_least(kafka_bootstrap, namespace, "referral.withdrawn", 2)
    )
    assert {e["data"]["reason"] for e in withdrawn} == set(reasons.values())

    await send(
        kafka_bootstrap,
        namespace,
        carer_event(carer_id, event_type="carer.updated", share_with=("gp", "vasl")),
    )
    await until(
        referrals,
        carer_id,
        {"vasl": ["withdrawn", "requested"], "carers_assessment": ["withdrawn"]},
    )


async def test_redelivered_and_repeated_events_never_open_a_second_referral(
    referrals: Referrals, api: httpx.AsyncClient, kafka_bootstrap: str, namespace: str, token
) -> None:
    carer_id = new_carer_id()
    first = carer_event(
        carer_id, share_with=("council", "vasl"), support_requested=("carers_assessment",)
    )
    again = carer_event(
        carer_id,
        event_type="carer.updated",
        share_with=("council", "vasl"),
        support_requested=("carers_assessment",),
        story=STORY + "\n\nThe hospital says she will need more help at home.",
    )
    await send(kafka_bootstrap, namespace, first, first, again, first, again)
    await eventually(lambda: handled(referrals, again))
    await until(referrals, carer_id, {"vasl": ["requested"], "carers_assessment": ["requested"]})
    (vasl,) = [r for r in await referrals_of(referrals, carer_id) if r.service == "vasl"]
    assert vasl.details.story and "more help at home" in vasl.details.story, "the latest story"

    declined = await api.post(
        f"/referrals/{vasl.referral_id}/decline",
        json={"reason": "Already supported by another VASL project"},
        headers=token("vasl"),
    )
    assert declined.status_code == 200
    later = carer_event(carer_id, event_type="carer.updated")
    await send(kafka_bootstrap, namespace, later)
    await eventually(lambda: handled(referrals, later))
    await until(referrals, carer_id, {"vasl": ["declined"], "carers_assessment": ["requested"]})
    await eventually(lambda: _at_least(kafka_bootstrap, namespace, "referral.declined", 1))
    created = await referral_events(kafka_bootstrap, namespace, "referral.created")
    per_referral = Counter(e["data"]["referral_id"] for e in created)
    assert sorted(per_referral.values()) == [1, 1], "each referral announced once"


async def test_erasure_withdraws_open_referrals_and_removes_the_story(
    referrals: Referrals, api: httpx.AsyncClient, kafka_bootstrap: str, namespace: str, token
) -> None:
    carer_id = new_carer_id()
    registered = carer_event(
        carer_id, share_with=("council", "vasl"), support_requested=("carers_assessment",)
    )
    await send(kafka_bootstrap, namespace, registered)
    await until(referrals, carer_id, {"vasl": ["requested"], "carers_assessment": ["requested"]})
    (vasl,) = [r for r in await referrals_of(referrals, carer_id) if r.service == "vasl"]
    await api.post(f"/referrals/{vasl.referral_id}/accept", headers=token("vasl"))
    done = await api.post(
        f"/referrals/{vasl.referral_id}/complete",
        json={"outcome": {"type": "signposted", "to": "Harborough carers group"}},
        headers=token("vasl"),
    )
    assert done.status_code == 200

    stale = carer_event(carer_id, event_type="carer.updated", share_with=("council", "vasl"))
    await send(kafka_bootstrap, namespace, erased(carer_id), stale)
    await eventually(lambda: handled(referrals, stale))
    await until(referrals, carer_id, {"vasl": ["completed"], "carers_assessment": ["withdrawn"]})
    found = {r.service: r for r in await referrals_of(referrals, carer_id)}
    assert found["carers_assessment"].reason == "the carer's data was erased"
    assert found["vasl"].outcome == {"type": "signposted"}
    async with referrals.runtime.engine.connect() as connection:
        documents = (
            await connection.execute(
                text("SELECT document FROM referrals WHERE carer_id = :c"), {"c": carer_id}
            )
        ).scalars()
        stored = " ".join(documents)
    for personal in (
        "mum",
        "Siân",
        "sian@example.org",
        "07700900123",
        "Example Surgery",
        "Harborough",
    ):
        assert personal not in stored
    withdrawn = await eventually(
        lambda: _at_least(kafka_bootstrap, namespace, "referral.withdrawn", 1)
    )
    assert withdrawn[0]["data"]["reason"] == "the carer's data was erased"


async def test_a_merge_moves_referrals_to_the_surviving_record_without_doubling(
    referrals: Referrals, kafka_bootstrap: str, namespace: str
) -> None:
    survivor, duplicate = new_carer_id(), new_carer_id()
    await send(
        kafka_bootstrap,
        namespace,
        carer_event(survivor, share_with=("vasl",)),
        carer_event(
            duplicate, share_with=("council", "vasl"), support_requested=("carers_assessment",)
        ),
    )
    await until(referrals, survivor, {"vasl": ["requested"]})
    await until(referrals, duplicate, {"vasl": ["requested"], "carers_assessment": ["requested"]})

    await send(kafka_bootstrap, namespace, merged(survivor, duplicate))
    await until(
        referrals,
        survivor,
        {"vasl": ["requested", "withdrawn"], "carers_assessment": ["requested"]},
    )
    assert await referrals_of(referrals, duplicate) == []
    (gone,) = [r for r in await referrals_of(referrals, survivor) if r.status == "withdrawn"]
    assert "records were merged" in (gone.reason or "")
