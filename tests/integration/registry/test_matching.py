"""Contract 4.1 on the real broker and both databases: one record per person."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text

from services.registry.bootstrap import Registry, bootstrap
from services.registry.settings import RegistrySettings
from shared import topics
from tests.harness import eventually
from tests.integration.registry.support import body, count_carers, event, of_type, send

pytestmark = pytest.mark.kafka


async def test_a_second_report_with_the_same_nhs_number_updates_the_one_record(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    gp = event("carer.identified", body())
    hospital = event(
        "carer.identified",
        body(identified_by={"kind": "hospital", "org_code": "RWE"}, story="Second telling."),
        source="ods:RWE",
    )
    await send(kafka_bootstrap, namespace, (gp, "9434765919"), (hospital, "9434765919"))

    async def two_sources() -> list | None:
        found = await count_carers(registry, 1)
        return found if found and len(found[0].sources) == 2 else None

    [carer] = await eventually(two_sources)
    assert [s.kind for s in carer.sources] == ["gp", "hospital"]
    assert carer.version == 2
    assert [s["text"] for s in carer.stories] == [
        "I look after my mum most evenings.",
        "Second telling.",
    ]  # every telling kept verbatim
    updated = await eventually(
        lambda: of_type(kafka_bootstrap, namespace, topics.REGISTRY, "carer.updated")
    )
    assert [s["kind"] for s in updated[0]["data"]["sources"]] == ["gp", "hospital"]
    registered = await of_type(kafka_bootstrap, namespace, topics.REGISTRY, "carer.registered")
    assert len(registered) == 1


async def test_a_report_without_nhs_number_matches_on_normalised_demographics(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    first = event("carer.identified", body(person__nhs_number=None))
    second = event(
        "carer.identified",
        body(
            person__nhs_number=None,
            person__given_name="  SIÂN ",
            person__family_name="o'connor-smith",
            person__postcode="le16zg",
        ),
    )
    await send(kafka_bootstrap, namespace, (first, "ref-1"), (second, "ref-2"))

    async def merged() -> list | None:
        found = await count_carers(registry, 1)
        return found if found and len(found[0].sources) == 2 else None

    [carer] = await eventually(merged)
    assert carer.given_name == "Siân"  # the stored name is kept exactly as first given


async def test_an_nhs_number_is_attached_to_a_record_that_lacked_one(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    without = event("carer.identified", body(person__nhs_number=None))
    with_number = event("carer.identified", body(person__given_name="Sia\u0302n"))
    # "Siân" spelt with a combining accent is the same name; the number then attaches.
    await send(kafka_bootstrap, namespace, (without, "ref-1"), (with_number, "9434765919"))

    async def numbered() -> list | None:
        found = await count_carers(registry, 1)
        return found if found and found[0].nhs_number == "9434765919" else None

    [carer] = await eventually(numbered)
    assert len(carer.sources) == 2


async def test_records_with_different_nhs_numbers_are_never_merged(
    registry: Registry, kafka_bootstrap: str, namespace: str
) -> None:
    one = event("carer.identified", body())
    other = event("carer.identified", body(person__nhs_number="9000000009"))
    await send(kafka_bootstrap, namespace, (one, "9434765919"), (other, "9000000009"))

    found = await eventually(lambda: count_carers(registry, 2))
    assert sorted(c.nhs_number or "" for c in found) == ["9000000009", "9434765919"]


async def test_an_ambiguous_match_is_held_for_review_then_kept_apart_or_merged(
    registry: Registry,
    registry_http: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token: Callable[..., dict[str, str]],
) -> None:
    numbered = event("carer.identified", body())
    other_number = event("carer.identified", body(person__nhs_number="9000000009"))
    unnumbered = event(
        "carer.identified",
        body(person__nhs_number=None, identified_by={"kind": "hospital", "org_code": "RWE"}),
        source="ods:RWE",
    )
    await send(
        kafka_bootstrap,
        namespace,
        (numbered, "9434765919"),
        (other_number, "9000000009"),
        (unnumbered, "ref-x"),
    )
    council = token("council", "LCC")

    async def held() -> list:
        answer = await registry_http.get("/reviews", headers=council)
        return answer.json()

    [review] = await eventually(held)
    assert len(review["candidate_ids"]) == 2
    assert len(await count_carers(registry, 2) or []) == 2  # nothing guessed

    refused = await registry_http.post(
        f"/reviews/{review['review_id']}/resolve",
        json={
            "decision": "merge",
            "into": review["candidate_ids"][0],
            "absorb": review["candidate_ids"][1:],
        },
        headers=council,
    )
    assert refused.status_code == 409  # two NHS numbers are two people
    assert "different NHS numbers" in refused.json()["detail"]

    kept = await registry_http.post(
        f"/reviews/{review['review_id']}/resolve",
        json={"decision": "keep_apart"},
        headers=council,
    )
    assert kept.status_code == 200
    assert len(await eventually(lambda: count_carers(registry, 3))) == 3
    again = await registry_http.post(
        f"/reviews/{review['review_id']}/resolve",
        json={"decision": "keep_apart"},
        headers=council,
    )
    assert again.status_code == 409  # a review is resolved once

    # Now a fourth report matches the kept-apart record and a numbered one: merge them.
    fourth = event("carer.identified", body(person__nhs_number=None), source="ods:C82001")
    await send(kafka_bootstrap, namespace, (fourth, "ref-y"))
    [second_review] = await eventually(held)
    into = next(i for i in second_review["candidate_ids"] if i != kept.json()["carer_id"])
    merged = await registry_http.post(
        f"/reviews/{second_review['review_id']}/resolve",
        json={"decision": "merge", "into": into, "absorb": [kept.json()["carer_id"]]},
        headers=council,
    )
    assert merged.status_code == 200, merged.text
    remaining = await eventually(lambda: count_carers(registry, 2))
    target = next(c for c in remaining if c.carer_id == into)
    assert len(target.sources) == 3  # its own, the kept-apart record's, and the fourth
    events = await eventually(
        lambda: of_type(kafka_bootstrap, namespace, topics.REGISTRY, "carer.merged")
    )
    assert events[0]["data"] == {"carer_id": into, "merged_carer_id": kept.json()["carer_id"]}


async def test_resolving_needs_the_council_and_a_valid_decision(
    registry_http: httpx.AsyncClient, token: Callable[..., dict[str, str]]
) -> None:
    assert (await registry_http.get("/reviews")).status_code == 401
    assert (await registry_http.get("/reviews", headers=token("gp"))).status_code == 403
    bad = await registry_http.post(
        "/reviews/x/resolve", json={"decision": "merge"}, headers=token("council")
    )
    assert bad.status_code == 422
    assert "into" in bad.text


@pytest.mark.parametrize("runs", [40])
async def test_one_person_reported_on_two_partitions_at_once_is_one_record(
    registry: Registry, kafka_bootstrap: str, namespace: str, database_url: str, runs: int
) -> None:
    """Two consumers in one group, each identification of a person on a different
    partition (one keyed by NHS number with it, one by another reference without it)."""
    second = bootstrap(
        RegistrySettings(
            kafka_bootstrap_servers=kafka_bootstrap,
            kafka_topic_namespace=namespace,
            database_url=database_url,
            outbox_poll_seconds=0.1,
        )
    )
    await second.runtime.start()
    try:
        await asyncio.sleep(2)  # let the group rebalance onto both consumers
        numbers = _valid_numbers(runs)
        pairs = []
        for index, number in enumerate(numbers):
            name = {"person__given_name": f"Person{index}", "person__family_name": "Parallel"}
            pairs.append(
                (event("carer.identified", body(person__nhs_number=number, **name)), number)
            )
            pairs.append(
                (
                    event("carer.identified", body(person__nhs_number=None, **name)),
                    f"other-ref-{index}",
                )
            )
        await send(kafka_bootstrap, namespace, *pairs)
        found = await eventually(lambda: _settled(registry, runs), timeout=60)
        assert sorted(c.nhs_number for c in found) == sorted(numbers)
        assert all(len(c.sources) == 2 for c in found)
        # The records are committed; their events reach Kafka when the relay (whichever
        # instance holds the relay lock) has emptied the outbox. Count them after that.
        await eventually(lambda: _outbox_empty(registry), timeout=30)
        registered = await of_type(kafka_bootstrap, namespace, topics.REGISTRY, "carer.registered")
        assert len(registered) == runs  # once per person
    finally:
        await second.runtime.stop()


async def _outbox_empty(registry: Registry) -> bool:
    async with registry.runtime.sessions() as session:
        return await session.scalar(text("SELECT count(*) FROM outbox")) == 0


async def _settled(registry: Registry, runs: int) -> list | None:
    found = await count_carers(registry, runs)
    if found and all(len(c.sources) == 2 and c.nhs_number for c in found):
        return found
    return None


def _valid_numbers(count: int) -> list[str]:
    from bench.common import nhs_numbers

    return nhs_numbers(count, seed=count)
