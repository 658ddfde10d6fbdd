"""A carers assessment can be joint with the cared-for person (issue 17): optional, false by
default, so outcomes recorded before the field existed read exactly as before."""

from __future__ import annotations

from datetime import date

import pytest

from services.referrals.domain.outcomes import InvalidOutcome, check_outcome

TODAY = date(2026, 3, 2)


def test_a_joint_assessment_is_recorded_as_joint() -> None:
    raw = {"type": "assessment_completed", "eligible_needs": True, "joint": True}
    assert check_outcome("carers_assessment", raw, TODAY) == raw


def test_without_joint_the_outcome_is_unchanged() -> None:
    raw = {"type": "assessment_completed", "eligible_needs": False}
    assert check_outcome("carers_assessment", raw, TODAY) == raw
    assert check_outcome("carers_assessment", {**raw, "joint": False}, TODAY) == raw


def test_joint_must_be_true_or_false_and_the_error_names_it() -> None:
    raw = {"type": "assessment_completed", "eligible_needs": True, "joint": "yes"}
    with pytest.raises(InvalidOutcome) as refused:
        check_outcome("young_carers", raw, TODAY)
    assert refused.value.field == "joint"


def test_the_staff_form_records_a_joint_assessment_only_when_ticked() -> None:
    from services.referrals.entrypoints.forms import outcome_from_form

    form = {
        "outcome-type": "assessment_completed",
        "eligible-needs": "yes",
        "direct-payment": "none",
    }
    joint, errors = outcome_from_form({**form, "joint": "yes"})
    assert errors == [] and joint["joint"] is True
    plain, errors = outcome_from_form({**form, "joint": "no"})
    assert errors == [] and "joint" not in plain
