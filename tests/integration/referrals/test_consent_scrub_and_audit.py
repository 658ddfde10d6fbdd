"""A partner loses a carer's story and details when consent to it is withdrawn, and every
read of a referral is audited (contract 6.4; issue 13).

Observed on main before issue 13: after consent to VASL was withdrawn, VASL still read the
withdrawn referral's story and contact details; and nothing recorded who read a referral.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa

from services.referrals.bootstrap import Referrals
from services.referrals.domain.model import DETAILS_REMOVED_FOR_CONSENT
from tests.harness import eventually
from tests.integration.referrals.support import STORY, carer_event, new_carer_id, referrals_of, send

pytestmark = pytest.mark.kafka
Headers = Callable[..., dict[str, str]]
PAGE = {"Accept": "text/html"}


async def _statuses(referrals: Referrals, carer_id: str, expected: dict[str, str]) -> bool:
    found = {r.service: r.status for r in await referrals_of(referrals, carer_id)}
    return found == expected


async def _removed(referrals: Referrals, carer_id: str, service: str) -> bool:
    found = [r for r in await referrals_of(referrals, carer_id) if r.service == service]
    return bool(found) and all(r.details_removed for r in found)


async def test_withdrawn_consent_removes_the_story_and_details_from_open_and_closed_referrals(
    referrals: Referrals,
    api: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token: Headers,
) -> None:
    carer_id = new_carer_id()
    everyone = ("gp", "council", "vasl")
    await send(
        kafka_bootstrap,
        namespace,
        carer_event(carer_id, share_with=everyone, support_requested=("carers_assessment",)),
    )
    both_open = {"vasl": "requested", "carers_assessment": "requested"}
    await eventually(lambda: _statuses(referrals, carer_id, both_open))
    by_service = {r.service: r for r in await referrals_of(referrals, carer_id)}
    vasl, assessment = by_service["vasl"], by_service["carers_assessment"]
    council = token("council", "LCC")
    for step, body in (
        ("accept", None),
        ("complete", {"outcome": {"type": "signposted", "to": "Carers Centre"}}),
    ):
        done = await api.post(
            f"/referrals/{assessment.referral_id}/{step}", json=body, headers=council
        )
        assert done.status_code == 200, done.text

    # The carer withdraws consent to VASL: VASL's open referral is withdrawn and emptied.
    await send(
        kafka_bootstrap,
        namespace,
        carer_event(carer_id, event_type="carer.updated", share_with=("gp", "council")),
    )
    await eventually(lambda: _removed(referrals, carer_id, "vasl"))
    seen = await api.get(f"/referrals/{vasl.referral_id}", headers=token("vasl", "VASL"))
    assert seen.status_code == 200
    shown = seen.json()
    assert (
        shown["status"] == "withdrawn" and shown["details_removed"] == DETAILS_REMOVED_FOR_CONSENT
    )
    assert (shown["story"], shown["carer"], shown["caring_for"], shown["identified_by"]) == (
        None,
        {},
        [],
        [],
    )
    page = await api.get(
        f"/referrals/{vasl.referral_id}", headers={**PAGE, **token("vasl", "VASL")}
    )
    assert page.status_code == 200
    assert "withdrawn consent: details removed" in page.text.lower()
    assert "I look after my mum" not in page.text and "sian@example.org" not in page.text
    kept = await api.get(f"/referrals/{assessment.referral_id}", headers=council)
    assert kept.json()["story"] == STORY, "the council still has consent: it keeps the story"

    # Then consent to the council: its completed referral loses the details too, not the outcome.
    await send(
        kafka_bootstrap,
        namespace,
        carer_event(carer_id, event_type="carer.updated", share_with=("gp",)),
    )
    await eventually(lambda: _removed(referrals, carer_id, "carers_assessment"))
    closed = (await api.get(f"/referrals/{assessment.referral_id}", headers=council)).json()
    assert closed["status"] == "completed" and closed["outcome"]["type"] == "signposted"
    assert closed["story"] is None and closed["carer"] == {}

    # Nothing of what the carer told us is left in the database either.
    async with referrals.runtime.engine.connect() as connection:
        documents = (
            (
                await connection.execute(
                    sa.text("SELECT document FROM referrals WHERE carer_id = :c"), {"c": carer_id}
                )
            )
            .scalars()
            .all()
        )
    assert len(documents) == 2
    assert not any("I look after my mum" in d or "sian@example.org" in d for d in documents)


async def test_every_read_of_a_referral_is_audited_with_the_real_outcome(
    referrals: Referrals,
    api: httpx.AsyncClient,
    kafka_bootstrap: str,
    namespace: str,
    token: Headers,
) -> None:
    carer_id = new_carer_id()
    await send(kafka_bootstrap, namespace, carer_event(carer_id, share_with=("council", "vasl")))
    await eventually(lambda: _statuses(referrals, carer_id, {"vasl": "requested"}))
    [referral] = await referrals_of(referrals, carer_id)
    vasl, council = token("vasl", "VASL"), token("council", "LCC")

    assert (
        await api.get("/referrals", params={"carer_id": carer_id}, headers=vasl)
    ).status_code == 200
    assert (await api.get(f"/referrals/{referral.referral_id}", headers=vasl)).status_code == 200
    page = await api.get(f"/referrals/{referral.referral_id}", headers={**PAGE, **vasl})
    assert page.status_code == 200
    assert (await api.get(f"/referrals/{referral.referral_id}", headers=council)).status_code == 404
    assert (await api.get("/referrals/no-such-referral", headers=council)).status_code == 404
    accepted = await api.post(f"/referrals/{referral.referral_id}/accept", headers=vasl)
    assert accepted.status_code == 200 and accepted.json()["story"], "a step shows the story"
    taken = await api.post(f"/referrals/{referral.referral_id}/accept", headers=council)
    assert taken.status_code == 404

    async with referrals.unit_of_work() as uow:
        about_carer = await uow.referrals.audit_entries(carer_id=carer_id)
        missing = await uow.referrals.audit_entries(referral_id=None)
    assert [(e.role, e.org, e.action, e.referral_id, e.outcome) for e in about_carer] == [
        ("vasl", "VASL", "list", referral.referral_id, "allowed"),
        ("vasl", "VASL", "read", referral.referral_id, "allowed"),
        ("vasl", "VASL", "page", referral.referral_id, "allowed"),
        ("council", "LCC", "read", referral.referral_id, "refused:scope"),
        ("vasl", "VASL", "accept", referral.referral_id, "allowed"),
        ("council", "LCC", "accept", referral.referral_id, "refused:scope"),
    ]
    assert all(e.subject and e.at for e in about_carer)
    assert [(e.role, e.action, e.outcome) for e in missing if e.carer_id is None] == [
        ("council", "read", "not_found")
    ]
