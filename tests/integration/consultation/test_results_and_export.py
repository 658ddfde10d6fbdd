"""Results, CSV export and the report on the real databases: a generated set of 1,000
responses with known counts, small-number suppression under filters, and who may see them."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import datetime

import httpx
import pytest

from services.consultation.bootstrap import ConsultationService
from services.consultation.service_layer.handlers import record_response
from shared.clock import VirtualClock
from tests.integration.consultation.conftest import LONDON, SLUG, token

pytestmark = pytest.mark.kafka
N = 1000


async def seed(service: ConsultationService) -> dict[str, Counter]:
    """Store N responses with known answers; return the expected counts."""
    consultation = service.web.consultations[SLUG]
    a, c = consultation.question("a"), consultation.question("c")
    types = consultation.respondent_type_question
    rng = random.Random(2026)
    expected: dict[str, Counter] = {
        "a": Counter(),
        "c": Counter(),
        "b.information": Counter(),
        "type": Counter(),
        "a|carer": Counter(),
        "sex": Counter(),
    }
    async with service.unit_of_work() as uow:
        for i in range(N):
            answers: dict = {}
            if rng.random() < 0.85:
                answers["a"] = rng.choice(a.options)  # type: ignore[union-attr]
                expected["a"][answers["a"]] += 1
            if rng.random() < 0.6:
                answers["c"] = rng.choice(c.options)  # type: ignore[union-attr]
                expected["c"][answers["c"]] += 1
            if rng.random() < 0.7:
                answers["b"] = {"information": rng.choice(consultation.question("b").options)}  # type: ignore[union-attr]
                expected["b.information"][answers["b"]["information"]] += 1
            answers["respondent_type"] = rng.choice(types.options[:3])  # type: ignore[union-attr]
            expected["type"][answers["respondent_type"]] += 1
            if answers["respondent_type"] == "As a carer" and "a" in answers:
                expected["a|carer"][answers["a"]] += 1
            sex = "Male" if i < 3 else rng.choice(["Female", "Male", "Prefer not to say"])
            expected["sex"][sex] += 1
            raw = {
                "channel": rng.choice(["online", "easy_read"]),
                "answers": answers,
                "equality": {"sex": sex},
            }
            record_response(uow, consultation, raw, at=datetime(2026, 6, 1, tzinfo=LONDON))
        await uow.commit()
    return expected


def _options(block: dict) -> dict[str, tuple[int, float]]:
    return {o["option"]: (o["count"], o["percent"]) for o in block["options"]}


async def test_results_over_1000_responses_match_the_known_counts_and_filters(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    expected = await seed(service)
    staff = token(service)

    everyone = (await client.get(f"/consultations/{SLUG}/results", headers=staff)).json()
    carers = (
        await client.get(
            f"/consultations/{SLUG}/results",
            params={"respondent_type": "As a carer"},
            headers=staff,
        )
    ).json()

    assert everyone["responses"] == N
    results = {q["id"]: q for q in everyone["questions"]}
    answered_a = sum(expected["a"].values())
    assert results["a"]["answered"] == answered_a and results["a"]["skipped"] == N - answered_a
    assert _options(results["a"]) == {
        o: (expected["a"][o], round(100 * expected["a"][o] / answered_a, 1))
        for o in _options(results["a"])
    }
    answered_c = sum(expected["c"].values())
    assert {o: n for o, (n, _) in _options(results["c"]).items()} == {
        o: expected["c"][o] for o in _options(results["c"])
    }
    assert results["c"]["answered"] == answered_c
    information = next(r for r in results["b"]["rows"] if r["id"] == "information")
    assert information["answered"] == sum(expected["b.information"].values())
    assert {o: n for o, (n, _) in _options(information).items()} == {
        o: expected["b.information"][o] for o in _options(information)
    }
    assert carers["responses"] == expected["type"]["As a carer"]
    carer_a = next(q for q in carers["questions"] if q["id"] == "a")
    assert {o: n for o, (n, _) in _options(carer_a).items()} == {
        o: expected["a|carer"][o] for o in _options(carer_a)
    }
    sex = next(q for q in everyone["equality"] if q["id"] == "sex")
    assert {o["option"]: o["count"] for o in sex["options"]} == dict(
        expected["sex"]
    )  # all >= 5 here


async def test_results_by_equality_group_suppress_small_numbers_and_refuse_small_groups(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    consultation = service.web.consultations[SLUG]
    rows = (
        [("Male", "Very well")] * 3 + [("Female", "Very well")] * 8 + [("Female", "Not at all")] * 2
    )
    async with service.unit_of_work() as uow:
        for sex, a in rows:
            raw = {"answers": {"a": a}, "equality": {"sex": sex}}
            record_response(uow, consultation, raw, at=datetime(2026, 6, 1, tzinfo=LONDON))
        await uow.commit()
    staff = token(service)

    men = await client.get(
        f"/consultations/{SLUG}/results", params={"equality": "sex:Male"}, headers=staff
    )
    women = await client.get(
        f"/consultations/{SLUG}/results", params={"equality": "sex:Female"}, headers=staff
    )

    assert men.status_code == 422 and "fewer than 5" in men.json()["detail"][0]["msg"]
    by_option = {
        o["option"]: o
        for o in next(q for q in women.json()["questions"] if q["id"] == "a")["options"]
    }
    assert by_option["Not at all"]["count"] is None and by_option["Not at all"]["suppressed"]
    assert by_option["Very well"]["count"] is None  # secondary suppression: 10 answered - 8 = 2
    by_sex = {
        o["option"]: o
        for o in next(q for q in women.json()["equality"] if q["id"] == "sex")["options"]
    }
    assert by_sex["Female"]["count"] == 10


async def test_the_csv_export_has_every_response_one_row_each_and_no_equality_or_names(
    client: httpx.AsyncClient, service: ConsultationService, clock: VirtualClock
) -> None:
    bodies = [
        {
            "answers": {"a": "Very well", "h": "Thank you, “really”"},
            "equality": {"religion": "Sikh"},
        },
        {
            "answers": {"b": {"access": "Don't know"}},
            "involvement": {
                "wants_to_be_involved": True,
                "name": "Ravi Patel",
                "phone": "07700 900123",
                "consent": True,
            },
        },
    ]
    ids = []
    for body in bodies:
        clock.advance(60)  # rows come out in the order they arrived
        reply = await client.post(f"/consultations/{SLUG}/responses", json=body)
        ids.append(reply.json()["response_id"])

    export = await client.get(f"/consultations/{SLUG}/export.csv", headers=token(service, "admin"))

    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [r["Response ID"] for r in rows] == ids
    assert rows[0]["Do you have any other comments?"] == "Thank you, “really”"
    assert (
        rows[1][
            "How important, if at all, are the following priorities to you? - "
            "Carers can access social care and wellbeing services when needed"
        ]
        == "Don't know"
    )
    assert "Sikh" not in export.text and "Ravi" not in export.text and "07700" not in export.text


@pytest.mark.parametrize("path", ["results", "export.csv", "report", "themes"])
async def test_results_and_exports_need_a_council_or_admin_token(
    client: httpx.AsyncClient, service: ConsultationService, path: str
) -> None:
    anonymous = await client.get(f"/consultations/{SLUG}/{path}")
    wrong_role = await client.get(f"/consultations/{SLUG}/{path}", headers=token(service, "gp"))
    assert anonymous.status_code == 401
    assert wrong_role.status_code == 403


async def test_the_report_has_bar_charts_and_tables_and_its_pdf_is_a_pdf(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    for a in ["Very well", "Very well", "Not at all"]:
        await client.post(f"/consultations/{SLUG}/responses", json={"answers": {"a": a}})
    staff = token(service)

    page = await client.get(f"/consultations/{SLUG}/report", headers=staff)
    pdf = await client.get(f"/consultations/{SLUG}/report.pdf", headers=staff)

    assert page.status_code == 200
    assert (
        page.text.count('<svg class="carers-chart"') == 1 + 4 + 1 + 1
    )  # a, b's four rows, c, respondent type
    assert "Very well: 66.7%" in page.text and "3 answered" in page.text
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert len(pdf.content) > 10_000


async def test_imported_citizen_space_rows_count_in_results(
    client: httpx.AsyncClient, service: ConsultationService
) -> None:
    text = (
        'Response ID,Completion date,"How well, if at all, do you think the draft '
        'Leicestershire Carers Strategy accurately reflects carers issues?"\n'
    )
    text += "ANON-1,2026-05-02T10:00:00,Not very well\nANON-2,2026-05-03T10:00:00,Not very well\n"
    imported = await client.post(
        f"/consultations/{SLUG}/import",
        content=text.encode(),
        headers={**token(service), "Content-Type": "text/csv"},
    )
    bad = await client.post(
        f"/consultations/{SLUG}/import",
        content=(text + "ANON-3,2026-05-03T10:00:00,Superb\n").encode(),
        headers={**token(service), "Content-Type": "text/csv"},
    )

    assert imported.status_code == 201 and imported.json()["imported"] == 2
    assert bad.status_code == 422 and "line 4: answers.a" in bad.json()["problems"][0]
    results = (await client.get(f"/consultations/{SLUG}/results", headers=token(service))).json()
    a = next(q for q in results["questions"] if q["id"] == "a")
    assert a["answered"] == 2 and _options(a)["Not very well"] == (2, 100.0)
