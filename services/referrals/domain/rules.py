"""Which referrals a carer gets, from their category, consent and what they asked for.

The whole policy is this table (contract 4.3); nothing else in the code decides it.

| carer is                        | and consented to share with | or asked for          | refer to          |
|---------------------------------|-----------------------------|-----------------------|-------------------|
| a young carer (under 18)        | the council                 |                       | young_carers      |
| an adult or young adult carer   | VASL                        |                       | vasl              |
| any carer                       | the council                 | carers_assessment     | carers_assessment |

No consent to share with a partner means no referral to that partner, and withdrawing that
consent withdraws open referrals to it.
"""

from __future__ import annotations

from dataclasses import dataclass

# The partner whose consent each service needs.
PARTNER_FOR_SERVICE: dict[str, str] = {
    "young_carers": "council",
    "carers_assessment": "council",
    "support_at_home": "council",
    "vasl": "vasl",
}


@dataclass(frozen=True)
class CarerFacts:
    """What the rules look at; nothing else about the carer matters to them."""

    category: str | None
    share_with: frozenset[str]
    support_requested: frozenset[str]


def services_due(carer: CarerFacts) -> list[str]:
    """The services this carer should have a referral to, in a stable order."""
    due: list[str] = []
    if carer.category == "young_carer" and "council" in carer.share_with:
        due.append("young_carers")
    if carer.category in ("adult_carer", "young_adult_carer") and "vasl" in carer.share_with:
        due.append("vasl")
    if "carers_assessment" in carer.support_requested and "council" in carer.share_with:
        due.append("carers_assessment")
    return due


def consent_lost(service: str, share_with: frozenset[str]) -> bool:
    """Whether an open referral to ``service`` must be withdrawn under this consent."""
    return PARTNER_FOR_SERVICE[service] not in share_with
