"""Outcomes in the shapes the registry's status snapshot reads, refused by field otherwise."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.referrals.domain.outcomes import InvalidOutcome, check_outcome

TODAY = date(2026, 3, 2)


def refused(service: str, outcome: Any) -> InvalidOutcome:
    with pytest.raises(InvalidOutcome) as caught:
        check_outcome(service, outcome, TODAY)
    return caught.value


def test_an_assessment_with_eligible_needs_and_a_weekly_direct_payment() -> None:
    outcome = {
        "type": "assessment_completed",
        "eligible_needs": True,
        "direct_payment": {"kind": "weekly", "amount": "120.5"},
    }
    assert check_outcome("carers_assessment", outcome, TODAY) == {
        "type": "assessment_completed",
        "eligible_needs": True,
        "direct_payment": {"kind": "weekly", "amount": "120.50"},
    }


@pytest.mark.parametrize(("given", "stored"), [("£1,250", "1250.00"), (300, "300.00")])
def test_a_one_off_amount_is_normalised_to_pounds_and_pence(given: Any, stored: str) -> None:
    outcome = {
        "type": "assessment_completed",
        "eligible_needs": True,
        "direct_payment": {"kind": "one_off", "amount": given},
    }
    assert check_outcome("young_carers", outcome, TODAY)["direct_payment"]["amount"] == stored


def test_an_assessment_without_eligible_needs_and_no_payment() -> None:
    outcome = {"type": "assessment_completed", "eligible_needs": False}
    assert check_outcome("carers_assessment", outcome, TODAY) == outcome


@pytest.mark.parametrize(
    ("outcome", "field"),
    [
        ({"type": "assessment_completed"}, "eligible_needs"),
        ({"type": "assessment_completed", "eligible_needs": "yes"}, "eligible_needs"),
        (
            {
                "type": "assessment_completed",
                "eligible_needs": False,
                "direct_payment": {"kind": "weekly", "amount": "10"},
            },
            "direct_payment",
        ),
        (
            {
                "type": "assessment_completed",
                "eligible_needs": True,
                "direct_payment": {"kind": "monthly", "amount": "10"},
            },
            "direct_payment.kind",
        ),
        (
            {
                "type": "assessment_completed",
                "eligible_needs": True,
                "direct_payment": {"kind": "weekly", "amount": "12.345"},
            },
            "direct_payment.amount",
        ),
        (
            {
                "type": "assessment_completed",
                "eligible_needs": True,
                "direct_payment": {"kind": "weekly", "amount": "-5"},
            },
            "direct_payment.amount",
        ),
        (
            {
                "type": "assessment_completed",
                "eligible_needs": True,
                "direct_payment": {"kind": "weekly", "amount": "lots"},
            },
            "direct_payment.amount",
        ),
        ({"type": "assessment_completed", "eligible_needs": True, "notes": "x"}, "notes"),
        ({"type": "done"}, "type"),
        ({}, "type"),
    ],
)
def test_a_wrong_assessment_outcome_names_its_field(outcome: dict[str, Any], field: str) -> None:
    assert refused("carers_assessment", outcome).field == field


def test_a_passport_is_issued_by_the_young_carers_team_only() -> None:
    outcome = {"type": "passport_issued", "number": " YC-0342 ", "issued_on": "2026-03-02"}
    assert check_outcome("young_carers", outcome, TODAY) == {
        "type": "passport_issued",
        "number": "YC-0342",
        "issued_on": "2026-03-02",
    }
    assert refused("carers_assessment", outcome).field == "type"


@pytest.mark.parametrize(
    ("outcome", "field", "message"),
    [
        ({"type": "passport_issued", "issued_on": "2026-03-02"}, "number", "must not be empty"),
        ({"type": "passport_issued", "number": "YC-1"}, "issued_on", "enter the date"),
        (
            {"type": "passport_issued", "number": "YC-1", "issued_on": "2026-02-30"},
            "issued_on",
            "real date",
        ),
        (
            {"type": "passport_issued", "number": "YC-1", "issued_on": "2026-03-03"},
            "issued_on",
            "today or in the past",
        ),
    ],
)
def test_a_wrong_passport_outcome_names_its_field(
    outcome: dict[str, Any], field: str, message: str
) -> None:
    wrong = refused("young_carers", outcome)
    assert wrong.field == field and message in wrong.message


def test_every_service_may_signpost_but_vasl_cannot_record_a_care_act_assessment() -> None:
    for service in ("vasl", "carers_assessment", "young_carers", "support_at_home"):
        assert check_outcome(service, {"type": "signposted", "to": "Carers Centre"}, TODAY) == {
            "type": "signposted",
            "to": "Carers Centre",
        }
    assert refused("vasl", {"type": "assessment_completed", "eligible_needs": True}).field == "type"
    assert refused("vasl", {"type": "signposted", "to": "  "}).field == "to"
