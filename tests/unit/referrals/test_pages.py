"""Every referral page renders for every state a referral can be in, erased ones included
(the environment is strict: a missing value is an error, not an empty string)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.referrals.bootstrap import TEMPLATES
from services.referrals.domain import rules
from services.referrals.domain.model import SYSTEM, CarerDetails, Referral
from services.referrals.entrypoints import display
from services.referrals.entrypoints.display import STATUS_FILTERS
from shared.auth import Principal
from shared.web import FieldError, make_environment

AT = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
ENV = make_environment(TEMPLATES)
display.register(ENV)
BASE = {
    "service_name": "Carers referrals",
    "service_url": "/",
    "navigation": [],
    "csrf_token": "t",
    "request_path": "/",
}


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**BASE, **context)


def referral(service: str = "young_carers", **details: Any) -> Referral:
    return Referral.request(
        "r-1", "c-1", service, CarerDetails(**details), at=AT, due_by=date(2026, 3, 9)
    )


def states() -> list[Referral]:
    full: dict[str, Any] = {
        "category": "young_carer",
        "story": "First.\n\nSecond.",
        "identified_by": ({"kind": "school"},),
        "caring_for": ({"relationship": "sibling"},),
        "contact": {"given_name": "Aled", "mobile": "07700900123", "preferences": {}},
    }
    made = [referral(), referral(**full)]
    accepted = referral(**full)
    accepted.accept(at=AT, by="council:LCC")
    done = referral(**full)
    done.accept(at=AT, by="council:LCC")
    done.complete(
        {"type": "passport_issued", "number": "YC-1", "issued_on": "2026-03-02"},
        today=date(2026, 3, 2),
        at=AT,
        by="council:LCC",
    )
    erased = referral(**full)
    erased.withdraw(rules.ERASED_REASON, at=AT, by=SYSTEM, why=rules.WITHDRAWN_FOR_ERASURE)
    erased.erase()
    overdue = referral()
    overdue.mark_overdue(datetime(2026, 3, 11, tzinfo=UTC))
    return [*made, accepted, done, erased, overdue]


@pytest.mark.parametrize("state", states(), ids=lambda r: f"{r.status}-{bool(r.details.story)}")
def test_the_referral_page_renders(state: Referral) -> None:
    page = render("referral.html", referral=state, done=None, errors=[], working_days=5)
    assert "Accept by" in page and "9 March 2026" in page
    if state.erased:
        assert "A carer whose data was erased" in page and "Aled" not in page
    if state.is_overdue:
        assert "govuk-tag--red" in page


def test_the_queue_and_forms_render_with_errors() -> None:
    principal = Principal("council", "LCC", "council:LCC")
    queue = render(
        "queue.html",
        principal=principal,
        referrals=states(),
        total=6,
        filters={"service": "", "status": "open", "overdue": ""},
        allowed_services=("carers_assessment", "young_carers"),
        status_filters=STATUS_FILTERS,
        page=1,
        pages=2,
        previous_href="",
        next_href="/?page=2",
        working_days=5,
    )
    assert 'rel="next"' in queue and "Young carers team" in queue
    errors = [FieldError("outcome.issued_on", "Enter the date", "issued-on-day")]
    for kind in ("", "assessment_completed", "passport_issued", "signposted"):
        page = render(
            "complete.html",
            referral=referral(),
            kind=kind,
            outcome_types=[("passport_issued", "Young carer passport issued")],
            values={},
            errors=errors,
        )
        assert "There is a problem" in page
    reason = render(
        "reason.html",
        referral=referral(),
        step="decline",
        question="Why are you declining this referral?",
        value="",
        errors=[FieldError("reason", "Enter why", "reason")],
    )
    assert 'aria-describedby="reason-hint reason-error"' in reason
