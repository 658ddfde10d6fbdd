"""The officer's review queue (answers needing a person first) and per-answer corrections."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from services.consultation.bootstrap import ConsultationService
from tests.integration.consultation.conftest import SLUG, token


async def test_unsure_answers_lead_the_queue_and_a_correction_becomes_a_training_example(
    client: httpx.AsyncClient,
    service: ConsultationService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corrections = tmp_path / "corrections.jsonl"
    monkeypatch.setenv("CONSULTATION_THEMES_CORRECTIONS", str(corrections))
    for text in (
        "I feel so lonely and isolated, nobody to talk to.",
        "Things.",
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

    murky = next(a for a in queue if a["text"] == "Things.")
    path = f"/consultations/{SLUG}/themes/answers/{murky['response_id']}/g/correction"
    made = await client.post(path, json={"themes": ["respite"]}, headers=staff)
    bad = await client.post(path, json={"themes": ["parking"]}, headers=staff)
    missing = await client.post(
        f"/consultations/{SLUG}/themes/answers/nope/g/correction",
        json={"themes": []},
        headers=staff,
    )
    anonymous = await client.post(path, json={"themes": ["respite"]})

    assert made.status_code == 201
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "themes"]
    assert missing.status_code == 404
    assert anonymous.status_code in (401, 403)
    [line] = corrections.read_text().splitlines()
    assert json.loads(line)["text"] == "Things." and json.loads(line)["themes"] == ["respite"]
