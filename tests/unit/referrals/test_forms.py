"""The outcome form read into the API's outcome, with the Design System's messages."""

from __future__ import annotations

from services.referrals.domain.outcomes import InvalidOutcome
from services.referrals.entrypoints.forms import field_error, outcome_from_form


def test_an_assessment_form_becomes_the_api_outcome() -> None:
    outcome, errors = outcome_from_form(
        {
            "outcome-type": "assessment_completed",
            "eligible-needs": "yes",
            "direct-payment": "one_off",
            "amount": " 300 ",
        }
    )
    assert errors == []
    assert outcome == {
        "type": "assessment_completed",
        "eligible_needs": True,
        "direct_payment": {"kind": "one_off", "amount": "300"},
    }


def test_missing_answers_are_each_named_at_their_control() -> None:
    form = {"outcome-type": "assessment_completed", "direct-payment": "weekly"}
    _, errors = outcome_from_form(form)
    assert [(e.control_id, e.message) for e in errors] == [
        ("eligible-needs", "Select yes if the carer has eligible needs"),
        ("amount", "Enter the amount of the direct payment"),
    ]
    assert outcome_from_form({})[1][0].message == "Select the outcome of the referral"


def test_a_partial_or_impossible_date_is_explained() -> None:
    base = {"outcome-type": "passport_issued", "passport-number": "YC-1"}
    _, errors = outcome_from_form({**base, "issued-on-day": "2", "issued-on-year": "2026"})
    assert errors[0].message == "Date the passport was issued must include a month"
    assert errors[0].control_id == "issued-on-month"
    _, errors = outcome_from_form(
        {**base, "issued-on-day": "31", "issued-on-month": "2", "issued-on-year": "2026"}
    )
    assert errors[0].message == "Date the passport was issued must be a real date"
    outcome, errors = outcome_from_form(
        {**base, "issued-on-day": "2", "issued-on-month": "3", "issued-on-year": "2026"}
    )
    assert errors == [] and outcome["issued_on"] == "2026-03-02"


def test_the_domains_refusal_reads_as_a_sentence_beside_its_control() -> None:
    wrong = field_error(InvalidOutcome("direct_payment.amount", "must be more than £0"))
    assert (wrong.control_id, wrong.message) == ("amount", "Amount must be more than £0")
    wrong = field_error(InvalidOutcome("issued_on", "must be today or in the past"))
    assert wrong.message == "Date the passport was issued must be today or in the past"
