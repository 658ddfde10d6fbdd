"""Outcome rules at their edges, with the exact words a caseworker reads.

Found by mutation testing (python -m bench.mutation): the refusals were checked by field only,
so a refusal with no message, the limits (200 characters, 40, £0.01, £100,000) and the
erasure of free text could all change with every test green.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.referrals.domain.outcomes import InvalidOutcome, amount, check_outcome, erased

TODAY = date(2026, 3, 2)


def _payment(**payment: Any) -> dict[str, Any]:
    return {"type": "assessment_completed", "eligible_needs": True, "direct_payment": payment}


@pytest.mark.parametrize(
    ("service", "outcome", "said"),
    [
        ("vasl", ["signposted"], "outcome.type: the outcome must be an object with a type"),
        (
            "vasl",
            {"type": "passport_issued"},
            "outcome.type: must be one of signposted for vasl",
        ),
        (
            "young_carers",
            {"type": "x"},
            "outcome.type: must be one of assessment_completed, passport_issued, signposted"
            " for young_carers",
        ),
        (
            "vasl",
            {"type": "signposted", "to": "Age UK", "why": "x"},
            "outcome.why: is not a field of a signposted outcome",
        ),
        (
            "carers_assessment",
            {"type": "assessment_completed"},
            "outcome.eligible_needs: say whether the carer has eligible needs",
        ),
        (
            "carers_assessment",
            {"type": "assessment_completed", "eligible_needs": True, "joint": "yes"},
            "outcome.joint: say whether it was a joint assessment (true or false)",
        ),
        (
            "carers_assessment",
            {
                "type": "assessment_completed",
                "eligible_needs": False,
                "direct_payment": {"kind": "weekly", "amount": "1"},
            },
            "outcome.direct_payment: a direct payment is only made to meet eligible needs",
        ),
        (
            "carers_assessment",
            _payment(),
            "outcome.direct_payment.kind: must be weekly or one_off",
        ),
        (
            "carers_assessment",
            {"type": "assessment_completed", "eligible_needs": True, "direct_payment": "10"},
            "outcome.direct_payment: must be an object with kind and amount",
        ),
        (
            "carers_assessment",
            _payment(kind="weekly", amount="1", zebra=1, note="x"),
            "outcome.direct_payment.note: is not a field of a direct payment",
        ),
        (
            "young_carers",
            {"type": "passport_issued", "number": "P1", "issued_on": ""},
            "outcome.issued_on: enter the date the passport was issued",
        ),
        (
            "young_carers",
            {"type": "passport_issued", "number": "P1", "issued_on": "2026-02-30"},
            "outcome.issued_on: must be a real date, like 2026-03-02",
        ),
        (
            "young_carers",
            {"type": "passport_issued", "number": "P1", "issued_on": "2026-03-03"},
            "outcome.issued_on: must be today or in the past",
        ),
        (
            "young_carers",
            {"type": "passport_issued", "number": "  ", "issued_on": "2026-03-01"},
            "outcome.number: must not be empty",
        ),
        (
            "young_carers",
            {"type": "passport_issued", "number": "P" * 41, "issued_on": "2026-03-01"},
            "outcome.number: must be 40 characters or fewer",
        ),
        (
            "vasl",
            {"type": "signposted", "to": "x" * 201},
            "outcome.to: must be 200 characters or fewer",
        ),
    ],
)
def test_each_refusal_names_its_field_and_says_what_to_do(
    service: str, outcome: Any, said: str
) -> None:
    with pytest.raises(InvalidOutcome) as caught:
        check_outcome(service, outcome, TODAY)
    assert str(caught.value) == said
    field, _, message = said.removeprefix("outcome.").partition(": ")
    assert (caught.value.field, caught.value.message) == (field, message)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("", "enter the amount of the direct payment"),
        (None, "enter the amount of the direct payment"),
        (True, "enter the amount of the direct payment"),
        ("ten pounds", "must be an amount in pounds, like 120.50"),
        ("1.005", "must be in pounds and pence, like 120.50"),
        ("Infinity", "must be in pounds and pence, like 120.50"),
        ("0", "must be more than £0"),
        ("-5", "must be more than £0"),
        ("100000.01", "must be £100,000.00 or less"),
    ],
)
def test_an_amount_is_refused_with_the_reason(given: Any, said: str) -> None:
    with pytest.raises(InvalidOutcome) as caught:
        amount(given)
    assert (caught.value.field, caught.value.message) == ("direct_payment.amount", said)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("0.01", "0.01"), ("0.5", "0.50"), ("1", "1.00"), ("1.25", "1.25"), ("100000", "100000.00")],
)
def test_amounts_from_a_penny_to_the_limit_are_kept(given: str, stored: str) -> None:
    assert amount(given) == stored


def test_the_longest_texts_allowed_are_kept_trimmed() -> None:
    signposted = check_outcome("vasl", {"type": "signposted", "to": " " + "x" * 200 + " "}, TODAY)
    assert signposted == {"type": "signposted", "to": "x" * 200}
    passport = {"type": "passport_issued", "number": "P" * 40, "issued_on": date(2026, 3, 2)}
    assert check_outcome("young_carers", passport, TODAY) == {
        "type": "passport_issued",
        "number": "P" * 40,
        "issued_on": "2026-03-02",
    }


def test_a_joint_assessment_is_recorded_and_a_single_one_reads_as_before() -> None:
    joint = {"type": "assessment_completed", "eligible_needs": True, "joint": True}
    assert check_outcome("carers_assessment", joint, TODAY) == joint
    single = {"type": "assessment_completed", "eligible_needs": True, "joint": False}
    assert check_outcome("carers_assessment", single, TODAY) == {
        "type": "assessment_completed",
        "eligible_needs": True,
    }


def test_erasure_keeps_the_kind_of_result_but_no_free_text_or_passport_number() -> None:
    assert erased({"type": "signposted", "to": "Age UK"}) == {"type": "signposted"}
    passport = {"type": "passport_issued", "number": "P1", "issued_on": "2026-03-01"}
    assert erased(passport) == {"type": "passport_issued", "issued_on": "2026-03-01"}
    assert erased(None) is None
