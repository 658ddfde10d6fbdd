"""Which referrals a carer gets, from their category, consent and what they asked for.

The whole policy is this table (contract 4.3); nothing else in the code decides it.

| carer is                        | and consented to share with | and asked for         | refer to          |
|---------------------------------|-----------------------------|-----------------------|-------------------|
| a young carer (under 18)        | the council                 | (anything or nothing) | young_carers      |
| an adult or young adult carer   | VASL                        | (anything or nothing) | vasl              |
| any carer                       | the council                 | carers_assessment     | carers_assessment |

- Never two open (requested or accepted) referrals for one carer and service: a due
  referral is opened only when the carer has no open one there (a database index holds
  this even against two consumers racing).
- No consent to share with a partner means no referral to it; withdrawing that consent
  withdraws every open referral to that partner, with the reason.
- A referral that was completed, declined or withdrawn by staff is not reopened by a later
  identification: staff decided, and a person decides again. Only a referral withdrawn
  because consent was withdrawn is made again when consent is given again.
- ``support_at_home`` is a council service staff may receive by other routes; no rule
  creates it automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

# The partner whose consent each service needs (contract 3: consent.share_with).
PARTNER_FOR_SERVICE: dict[str, str] = {
    "young_carers": "council",
    "carers_assessment": "council",
    "support_at_home": "council",
    "vasl": "vasl",
}
SERVICES: tuple[str, ...] = tuple(PARTNER_FOR_SERVICE)
PARTNER_NAMES = {"council": "Leicestershire County Council", "vasl": "VASL"}

# Why a referral was withdrawn: only a consent withdrawal may be undone by the rules.
WITHDRAWN_BY_STAFF = "staff"
WITHDRAWN_FOR_CONSENT = "consent"
WITHDRAWN_FOR_ERASURE = "erasure"
WITHDRAWN_FOR_MERGE = "merge"

ERASED_REASON = "the carer's data was erased"
MERGED_REASON = (
    "the carer's records were merged; their other open referral to this service continues"
)


def consent_withdrawn_reason(service: str) -> str:
    partner = PARTNER_FOR_SERVICE[service]
    return f"the carer withdrew consent to share with {PARTNER_NAMES[partner]}"


@dataclass(frozen=True)
class CarerFacts:
    """What the rules look at; nothing else about the carer matters to them."""

    category: str | None
    share_with: frozenset[str]
    support_requested: frozenset[str]


@dataclass(frozen=True)
class PastReferral:
    """The little the rules need to know about a carer's earlier referral to a service."""

    status: str
    withdrawn_for: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in ("requested", "accepted")


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


def may_refer(history: list[PastReferral]) -> bool:
    """Whether a due service gets a new referral, given the carer's referrals to it so far
    (oldest first): none yet, or the latest was withdrawn only because consent was."""
    if any(past.is_open for past in history):
        return False
    if not history:
        return True
    latest = history[-1]
    return latest.status == "withdrawn" and latest.withdrawn_for == WITHDRAWN_FOR_CONSENT
