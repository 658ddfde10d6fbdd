"""Role scoping and the queue's filters and pages: a partner sees only its own referrals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from services.referrals.bootstrap import Referrals
from tests.integration.referrals.support import seed

pytestmark = pytest.mark.kafka


async def test_each_partner_sees_and_works_only_its_own_services_referrals(
    start_referrals, token
) -> None:
    service: Referrals = await start_referrals(consume=False)
    made = {
        name: await seed(service, name)
        for name in ("vasl", "carers_assessment", "young_carers", "support_at_home")
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app), base_url="http://referrals"
    ) as api:

        async def seen(role: str) -> set[str]:
            answer = await api.get("/referrals", headers=token(role))
            assert answer.status_code == 200
            return {r["service"] for r in answer.json()}

        assert await seen("vasl") == {"vasl"}
        assert await seen("council") == {"carers_assessment", "young_carers", "support_at_home"}
        assert await seen("admin") == set(made)

        refused = await api.get(
            "/referrals", params={"service": "young_carers"}, headers=token("vasl")
        )
        assert refused.status_code == 403 and "young_carers" in refused.json()["detail"]
        assert (await api.get("/referrals", headers=token("gp"))).status_code == 403
        assert (await api.get("/referrals", headers=token("hospital"))).status_code == 403
        assert (await api.get("/referrals")).status_code == 401
        bad = {"Authorization": "Bearer not-a-token"}
        assert (await api.get("/referrals", headers=bad)).status_code == 401

        council_one = made["young_carers"].referral_id
        assert (
            await api.get(f"/referrals/{council_one}", headers=token("vasl"))
        ).status_code == 404
        accept = await api.post(f"/referrals/{council_one}/accept", headers=token("vasl"))
        assert accept.status_code == 404
        assert (
            await api.post(f"/referrals/{council_one}/accept", headers=token("gp"))
        ).status_code == 403
        still = await api.get(f"/referrals/{council_one}", headers=token("council"))
        assert still.json()["status"] == "requested"
        by_admin = await api.post(f"/referrals/{council_one}/accept", headers=token("admin"))
        assert by_admin.status_code == 200


async def test_the_queue_filters_by_status_overdue_and_carer_and_pages_soonest_due_first(
    start_referrals, token
) -> None:
    service: Referrals = await start_referrals(consume=False)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    made = [
        await seed(service, "vasl", at=start + timedelta(hours=i), due_by=date(2026, 3, 9 + i))
        for i in range(5)
    ]
    vasl = token("vasl")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.app), base_url="http://referrals"
    ) as api:
        await api.post(f"/referrals/{made[4].referral_id}/accept", headers=vasl)
        assert await service.sweep(datetime(2026, 3, 11, 9, 0, tzinfo=UTC)) == 2  # due 9th, 10th

        page = await api.get("/referrals", params={"limit": 2}, headers=vasl)
        assert page.headers["X-Total-Count"] == "5"
        assert [r["referral_id"] for r in page.json()] == [m.referral_id for m in made[:2]]
        assert 'rel="next"' in page.headers["Link"] and "offset=2" in page.headers["Link"]
        last = await api.get("/referrals", params={"limit": 2, "offset": 4}, headers=vasl)
        assert [r["referral_id"] for r in last.json()] == [made[4].referral_id]
        assert 'rel="prev"' in last.headers["Link"] and 'rel="next"' not in last.headers["Link"]

        def ids(answer: httpx.Response) -> list[str]:
            return [r["referral_id"] for r in answer.json()]

        overdue = await api.get("/referrals", params={"overdue": "true"}, headers=vasl)
        assert ids(overdue) == [made[0].referral_id, made[1].referral_id]
        accepted = await api.get("/referrals", params={"status": "accepted"}, headers=vasl)
        assert ids(accepted) == [made[4].referral_id]
        open_ = await api.get("/referrals", params={"status": "open"}, headers=vasl)
        assert len(ids(open_)) == 5
        mine = await api.get("/referrals", params={"carer_id": made[2].carer_id}, headers=vasl)
        assert ids(mine) == [made[2].referral_id]
        wrong = await api.get("/referrals", params={"status": "lost"}, headers=vasl)
        assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "status"]
