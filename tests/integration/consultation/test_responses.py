"""Submitting responses on the real broker and both databases: ids, events, validation,
named and anonymous respondents, closing and rate limits."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
from sqlmodel import select

from services.consultation.adapters.orm import EqualityRow, InterestRow, ResponseRow
from services.consultation.bootstrap import ConsultationService
from shared import topics
from shared.clock import VirtualClock
from tests.harness import events_on, eventually
from tests.integration.consultation.conftest import LONDON, SLUG

pytestmark = pytest.mark.kafka

FULL = {
    "channel": "online",
    "answers": {
        "a": "Fairly well",
        "a_why": "It gets the breaks right but not the GP problems.",
        "b": {"recognised": "Very important", "information": "Fairly important"},
        "c": "Tend to agree",
        "g": "A proper break once a week.",
        "respondent_type": "As a carer",
    },
    "equality": {"age_band": "55 to 64", "carer_type": ["Adult carer (18 or over)"]},
}


async def consultation_events(bootstrap: str, namespace: str, at_least: int) -> list[dict] | None:
    found = await events_on(bootstrap, namespace + topics.CONSULTATION)
    return found if len(found) >= at_least else None


async def test_an_anonymous_response_is_stored_and_announced_without_its_answers(
    client: httpx.AsyncClient, service: ConsultationService, kafka_bootstrap: str, namespace: str
) -> None:
    reply = await client.post(f"/consultations/{SLUG}/responses", json=FULL)

    assert reply.status_code == 201
    response_id = reply.json()["response_id"]
    events = await eventually(lambda: consultation_events(kafka_bootstrap, namespace, 1))
    assert [e["type"] for e in events] == ["consultation.response_submitted"]
    assert events[0]["data"]["consultation"] == SLUG
    assert events[0]["data"]["response_id"] == response_id
    assert events[0]["data"]["channel"] == "online"
    assert "answers" not in events[0]["data"] and "Fairly well" not in json.dumps(events[0])
    records = await _records(service)
    assert records[0].response_id == response_id
    assert json.loads(records[0].answers)["b"] == {
        "recognised": "Very important",
        "information": "Fairly important",
    }
    assert records[0].respondent_type == "As a carer"
    async with service.runtime.sessions() as session:
        equality = (await session.exec(select(EqualityRow))).all()
        assert "age_band" not in records[0].answers  # equality answers are stored apart
        assert json.loads(equality[0].answers)["age_band"] == "55 to 64"


async def test_a_named_respondent_registers_interest_and_no_event_names_them(
    client: httpx.AsyncClient, service: ConsultationService, kafka_bootstrap: str, namespace: str
) -> None:
    named = {
        **FULL,
        "involvement": {
            "wants_to_be_involved": True,
            "name": "Siân O'Connor-Smith",
            "email": "sian@example.org",
            "consent": True,
        },
    }
    reply = await client.post(f"/consultations/{SLUG}/responses", json=named)

    assert reply.status_code == 201
    events = await eventually(lambda: consultation_events(kafka_bootstrap, namespace, 2))
    by_type = {e["type"]: e for e in events}
    assert set(by_type) == {"consultation.response_submitted", "consultation.interest_registered"}
    interest = by_type["consultation.interest_registered"]["data"]
    assert interest["consultation"] == SLUG and interest["interest_id"]
    wire = json.dumps(events, ensure_ascii=False)
    for private in ("Siân", "sian@example.org", "Fairly well", "proper break"):
        assert private not in wire
    async with service.runtime.sessions() as session:
        interests = (await session.exec(select(InterestRow))).all()
    assert [(i.name, i.email) for i in interests] == [("Siân O'Connor-Smith", "sian@example.org")]
    assert not hasattr(interests[0], "response_id")  # nothing ties the name to the answers
    assert "Siân" not in (await _records(service))[0].answers


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"answers": {"a": "Brilliantly"}}, ["answers", "a"], "'Brilliantly' is not one of"),
        ({"answers": {"b": {"recognised": "Vital"}}}, ["answers", "b", "recognised"], "not one of"),
        (
            {"answers": {"b": {"housing": "Very important"}}},
            ["answers", "b", "housing"],
            "no such statement",
        ),
        ({"answers": {"b": "Very important"}}, ["answers", "b"], "statement: rating"),
        ({"answers": {"z": "Yes"}}, ["answers", "z"], "no such question"),
        ({"answers": {"e": "x" * 5001}}, ["answers", "e"], "5,000 characters"),
        ({"answers": {"e": 42}}, ["answers", "e"], "must be text"),
        ({"answers": {}, "equality": {"sex": "Other"}}, ["equality", "sex"], "not one of"),
        (
            {
                "answers": {"c": "Tend to agree"},
                "equality": {"carer_type": ["Former carer", "Prefer not to say"]},
            },
            ["equality", "carer_type"],
            "cannot be chosen with other",
        ),
        (
            {"answers": {"a": "Very well"}, "equality": {"age_band": "55 to 64", "a": "Very well"}},
            ["equality", "a"],
            "no such question",
        ),
        ({"answers": {}}, ["answers"], "at least one question"),
        ({"answers": ["a"]}, ["answers"], "must be an object"),
        ({"channel": "fax", "answers": {"a": "Very well"}}, ["channel"], "not one of"),
        (
            {"channel": "paper", "answers": {"a": "Very well"}},
            ["channel"],
            "keyed in by council staff",
        ),
        (
            {
                "answers": {"a": "Very well"},
                "involvement": {
                    "wants_to_be_involved": True,
                    "email": "sian@example.org",
                    "consent": True,
                },
            },
            ["involvement", "name"],
            "Enter your name",
        ),
        (
            {
                "answers": {"a": "Very well"},
                "involvement": {"wants_to_be_involved": True, "name": "Sam", "consent": True},
            },
            ["involvement", "email"],
            "email address or a phone number",
        ),
        (
            {
                "answers": {"a": "Very well"},
                "involvement": {
                    "wants_to_be_involved": True,
                    "name": "Sam",
                    "email": "not-an-email",
                    "consent": True,
                },
            },
            ["involvement", "email"],
            "name@example.com",
        ),
        (
            {
                "answers": {"a": "Very well"},
                "involvement": {
                    "wants_to_be_involved": True,
                    "name": "Sam",
                    "phone": "12345",
                    "consent": True,
                },
            },
            ["involvement", "phone"],
            "UK phone number",
        ),
        (
            {
                "answers": {"a": "Very well"},
                "involvement": {
                    "wants_to_be_involved": True,
                    "name": "Sam",
                    "phone": "0116 496 0123",
                },
            },
            ["involvement", "consent"],
            "agree",
        ),
        (
            {
                "answers": {"a": "Very well"},
                "involvement": {"name": "Sam", "phone": "0116 496 0123"},
            },
            ["involvement", "wants_to_be_involved"],
            "Tick the box",
        ),
        (
            {
                "answers": {"a": "Very well"},
                "involvement": {
                    "wants_to_be_involved": True,
                    "name": "S" * 101,
                    "phone": "0116 496 0123",
                    "consent": True,
                },
            },
            ["involvement", "name"],
            "100 characters",
        ),
        ({"answers": {"a": "Very well"}, "colour": "blue"}, ["colour"], "not a field"),
    ],
)
async def test_each_invalid_answer_is_refused_with_422_naming_its_field(
    client: httpx.AsyncClient,
    service: ConsultationService,
    body: dict,
    field: list[str],
    words: str,
) -> None:
    reply = await client.post(f"/consultations/{SLUG}/responses", json=body)

    assert reply.status_code == 422
    detail = reply.json()["detail"]
    named = [d for d in detail if d["loc"][1:] == field]
    assert named, detail
    assert words.lower() in named[0]["msg"].lower()
    assert await _records(service) == []  # nothing stored for an invalid response


async def test_after_the_close_date_the_form_answers_409_and_says_when_it_closed(
    client: httpx.AsyncClient, service: ConsultationService, clock: VirtualClock
) -> None:
    clock.set(datetime(2027, 4, 1, 0, 0, 1, tzinfo=LONDON))

    reply = await client.post(f"/consultations/{SLUG}/responses", json=FULL)
    page = await client.get(f"/consultations/{SLUG}")
    closed_2022 = await client.post(
        "/consultations/draft-joint-carers-strategy-2022-25/responses",
        json={"answers": {"comments": "Too late"}},
    )

    assert reply.status_code == 409
    assert reply.json()["closed_on"] == "31 March 2027"
    assert "closed on 31 March 2027" in reply.json()["detail"]
    assert "This consultation closed on 31 March 2027" in page.text
    assert 'action="/consultations/' not in page.text  # no form once closed
    assert closed_2022.status_code == 409 and closed_2022.json()["closed_on"] == "31 July 2022"
    assert await _records(service) == []


async def test_a_response_one_second_before_the_close_is_accepted(
    client: httpx.AsyncClient, clock: VirtualClock
) -> None:
    clock.set(datetime(2027, 3, 31, 23, 59, 58, tzinfo=LONDON))
    assert (await client.post(f"/consultations/{SLUG}/responses", json=FULL)).status_code == 201


@pytest.mark.parametrize("rate_limit", [60.0])
async def test_submissions_are_rate_limited_per_client(
    service: ConsultationService, client: httpx.AsyncClient
) -> None:
    codes = [
        (await client.post(f"/consultations/{SLUG}/responses", json=FULL)).status_code
        for _ in range(5)
    ]
    other = httpx.ASGITransport(app=service.app, client=("198.51.100.9", 1))
    async with httpx.AsyncClient(transport=other, base_url="http://consultation.test") as second:
        elsewhere = await second.post(f"/consultations/{SLUG}/responses", json=FULL)

    assert codes == [201, 201, 201, 429, 429]  # a burst of 3, then one a second at most
    assert elsewhere.status_code == 201  # another client has its own bucket
    assert len(await _records(service)) == 4


async def _records(service: ConsultationService) -> list[ResponseRow]:
    async with service.runtime.sessions() as session:
        return list((await session.exec(select(ResponseRow))).all())
