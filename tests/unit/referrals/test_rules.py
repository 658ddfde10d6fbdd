"""The referral rules table (docs/referrals.md), one row at a time, and who sees what."""

from __future__ import annotations

import pytest

from services.referrals.domain import access, rules
from services.referrals.domain.rules import CarerFacts, PastReferral


def facts(
    category: str | None = "adult_carer",
    share_with: tuple[str, ...] = ("gp", "council", "vasl"),
    support_requested: tuple[str, ...] = (),
) -> CarerFacts:
    return CarerFacts(category, frozenset(share_with), frozenset(support_requested))


def test_a_young_carer_consenting_to_the_council_goes_to_the_young_carers_team() -> None:
    assert rules.services_due(facts("young_carer", ("council",))) == ["young_carers"]


def test_a_young_carer_without_council_consent_is_not_referred_even_with_vasl_consent() -> None:
    assert rules.services_due(facts("young_carer", ("gp", "vasl"))) == []


@pytest.mark.parametrize("category", ["adult_carer", "young_adult_carer"])
def test_an_adult_or_young_adult_carer_consenting_to_vasl_goes_to_vasl(category: str) -> None:
    assert rules.services_due(facts(category, ("vasl",))) == ["vasl"]


def test_an_asked_for_carers_assessment_with_council_consent_is_referred() -> None:
    due = rules.services_due(facts("adult_carer", ("council",), ("carers_assessment",)))
    assert due == ["carers_assessment"]


def test_an_asked_for_carers_assessment_without_council_consent_is_not() -> None:
    assert rules.services_due(facts("adult_carer", ("vasl",), ("carers_assessment",))) == ["vasl"]


def test_a_young_carer_asking_for_an_assessment_gets_both_council_referrals() -> None:
    due = rules.services_due(facts("young_carer", ("council",), ("carers_assessment",)))
    assert due == ["young_carers", "carers_assessment"]


def test_a_carer_of_unknown_age_is_referred_only_for_an_assessment_they_asked_for() -> None:
    assert rules.services_due(facts(None, ("council", "vasl"))) == []
    assert rules.services_due(facts(None, ("council",), ("carers_assessment",))) == [
        "carers_assessment"
    ]


def test_consent_withdrawn_from_a_partner_loses_every_service_of_that_partner() -> None:
    share = frozenset({"gp", "vasl"})
    assert rules.consent_lost("carers_assessment", share)
    assert rules.consent_lost("young_carers", share)
    assert not rules.consent_lost("vasl", share)


def test_a_first_referral_is_made_and_an_open_one_is_never_doubled() -> None:
    assert rules.may_refer([])
    assert not rules.may_refer([PastReferral("requested")])
    assert not rules.may_refer([PastReferral("accepted")])


def test_only_a_referral_withdrawn_for_consent_is_made_again() -> None:
    assert rules.may_refer([PastReferral("withdrawn", rules.WITHDRAWN_FOR_CONSENT)])
    assert not rules.may_refer([PastReferral("withdrawn", rules.WITHDRAWN_BY_STAFF)])
    assert not rules.may_refer([PastReferral("withdrawn", rules.WITHDRAWN_FOR_ERASURE)])
    assert not rules.may_refer([PastReferral("completed")])
    assert not rules.may_refer([PastReferral("declined")])


def test_the_withdrawal_reason_names_the_partner() -> None:
    assert rules.consent_withdrawn_reason("vasl") == "the carer withdrew consent to share with VASL"
    assert "Leicestershire County Council" in rules.consent_withdrawn_reason("young_carers")


def test_each_partner_sees_only_its_own_services() -> None:
    assert access.services_for("vasl") == ("vasl",)
    assert set(access.services_for("council")) == {
        "carers_assessment",
        "young_carers",
        "support_at_home",
    }
    assert set(access.services_for("admin")) == set(rules.SERVICES)
    assert access.services_for("gp") == ()
    assert access.may_see("council", "young_carers") and not access.may_see("vasl", "young_carers")


def test_asking_for_another_partners_service_is_refused_by_name() -> None:
    assert access.scope("council", None) == access.services_for("council")
    assert access.scope("vasl", "vasl") == ("vasl",)
    with pytest.raises(access.OutOfScope, match="may not see carers_assessment"):
        access.scope("vasl", "carers_assessment")
