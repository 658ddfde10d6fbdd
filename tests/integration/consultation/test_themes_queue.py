"""The officer's review queue (answers needing a person first), per-answer corrections kept in
the database, and retraining from them, on each database."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from services.consultation.adapters import catalogue
from services.consultation.bootstrap import ConsultationService
from services.consultation.entrypoints import cli
from shared.clock import VirtualClock
from tests.integration.consultation.conftest import SLUG, token

MURKY = "It's hard sometimes, you know, with everything."


@pytest.fixture(autouse=True)
def fresh_classifier() -> Iterator[None]:
    """Retraining here must not leak its learned examples into other tests' classifier."""
    catalogue.shipped_classifier.cache_clear()
    yield
    catalogue.shipped_classifier.cache_clear()


async def test_unsure_answers_lead_the_queue_and_a_correction_is_kept_and_shown(
    client: httpx.AsyncClient, service: ConsultationService, clock: VirtualClock
) -> None:
    for text in (
        "I feel so lonely and isolated, nobody to talk to.",
        MURKY,
        "I can never get a GP appointment for myself.",
    ):
        reply = await client.post(f"/consultations/{SLUG}/responses", json={"answers": {"g": text}})
        assert reply.status_code == 201
    staff = token(service)

    queue = (await client.get(f"/consultations/{SLUG}/themes/queue", headers=staff)).json()
    flags = [a["needs_person"] for a in queue]
    assert flags == sorted(flags, reverse=True)  # every "needs a person" before the rest
    assert any(flags) and not all(flags)
    assert queue[-1]["themes"] and queue[-1]["confidence"] >= 0.3
    assert not any(a["corrected"] for a in queue)

    murky = next(a for a in queue if a["text"] == MURKY)
    path = f"/consultations/{SLUG}/themes/answers/{murky['response_id']}/g/correction"
    first = await client.post(path, json={"themes": ["cost"]}, headers=staff)
    clock.advance(60)
    made = await client.post(path, json={"themes": ["respite"]}, headers=staff)  # corrected again
    bad = await client.post(path, json={"themes": ["parking"]}, headers=staff)
    missing = await client.post(
        f"/consultations/{SLUG}/themes/answers/nope/g/correction",
        json={"themes": []},
        headers=staff,
    )
    anonymous = await client.post(path, json={"themes": ["respite"]})

    assert first.status_code == made.status_code == 201
    assert made.json()["themes"] == ["respite"] and made.json()["text"] == MURKY
    assert made.json()["corrected_at"] == clock.now().isoformat()
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "themes"]
    assert missing.status_code == 404
    assert anonymous.status_code in (401, 403)
    async with service.unit_of_work() as uow:
        [kept] = await uow.consultations.corrections(SLUG)
    assert kept.example.themes == {"respite"} and kept.learned_at is None
    assert kept.corrected_at == clock.now()

    after = (await client.get(f"/consultations/{SLUG}/themes/queue", headers=staff)).json()
    assert after[-1]["text"] == MURKY  # done: after every other answer
    assert after[-1]["corrected"] is True and after[-1]["needs_person"] is False
    assert after[-1]["themes"] == ["respite"] and after[-1]["corrected_by"]
    assert sum(a["needs_person"] for a in after) == sum(flags) - 1


async def test_retrain_learns_a_correction_made_over_http_and_the_command_then_gives_it(
    client: httpx.AsyncClient,
    service: ConsultationService,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer = "The lamp posts on Hinckley Road flicker."
    monkeypatch.setenv("CONSULTATION_DATABASE_URL", database_url)  # what the command reads
    monkeypatch.setenv("CONSULTATION_THEMES_LEARNED", str(tmp_path / "learned.jsonl"))
    monkeypatch.setenv("CONSULTATION_THEMES_CORRECTIONS", str(tmp_path / "none.jsonl"))
    reply = await client.post(f"/consultations/{SLUG}/responses", json={"answers": {"g": answer}})
    staff = token(service)
    [queued] = (await client.get(f"/consultations/{SLUG}/themes/queue", headers=staff)).json()
    assert "young_carers" not in queued["themes"]

    path = f"/consultations/{SLUG}/themes/answers/{reply.json()['response_id']}/g/correction"
    made = await client.post(path, json={"themes": ["young_carers"]}, headers=staff)
    assert made.status_code == 201

    await asyncio.to_thread(cli.main, ["themes", "retrain"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["corrections"] == printed["from_database"] == 1
    assert (printed["learned_before"], printed["learned"]) == (0, 1)

    def theme(text: str) -> dict[str, object]:
        sink = io.StringIO()
        cli.theme_stream(io.StringIO(json.dumps({"id": "x", "text": text}) + "\n"), sink)
        return dict(json.loads(sink.getvalue()))

    assert "young_carers" in theme(answer)["themes"]  # type: ignore[operator]
    async with service.unit_of_work() as uow:
        [kept] = await uow.consultations.corrections(SLUG)
    assert kept.learned_at is not None  # the command's own clock: the system's

    await asyncio.to_thread(cli.main, ["themes", "retrain"])
    again = json.loads(capsys.readouterr().out)
    assert (again["from_database"], again["learned"]) == (0, 1)  # nothing new; rebuilt


async def test_a_correction_replaced_after_retraining_read_it_is_not_marked_learned(
    client: httpx.AsyncClient, service: ConsultationService, clock: VirtualClock
) -> None:
    reply = await client.post(f"/consultations/{SLUG}/responses", json={"answers": {"g": MURKY}})
    path = f"/consultations/{SLUG}/themes/answers/{reply.json()['response_id']}/g/correction"
    staff = token(service)
    await client.post(path, json={"themes": ["cost"]}, headers=staff)
    async with service.unit_of_work() as uow:
        read = await uow.consultations.corrections()
    clock.advance(1)
    await client.post(path, json={"themes": ["respite"]}, headers=staff)
    async with service.unit_of_work() as uow:
        assert await uow.consultations.mark_learned(read, clock.now() + timedelta(hours=1)) == 0
        await uow.commit()
        [kept] = await uow.consultations.corrections()
    assert kept.example.themes == {"respite"} and kept.learned_at is None
