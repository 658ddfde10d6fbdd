"""May this caller read this carer's record? (contract 6.4; issue 13, item 5)

Pure: the caller's role and organisation and the record (or None) in, a decision out. The
rules, as the contract gives them:

| role      | reads a carer when                                                          |
|-----------|-----------------------------------------------------------------------------|
| `gp`      | its own practice identified them (a `gp` source with its ODS code), coded   |
|           | them (`gp_coded.practice_ods_code`) or registers them (the practice named   |
|           | in `person.gp_practice_ods`), AND they consented to share with `gp`         |
| `council` | they consented to share with `council`                                      |
| `vasl`    | they consented to share with `vasl`                                         |
| `admin`   | always (the data controller's own staff)                                    |

Why a practice check as well as consent: "share with gp" is the carer's agreement to share
with *their* GP, not with every practice in England that holds a token.

The caller is told only "no such carer" when it may not read one, whatever the reason, so
whether someone is a registered carer never leaks; the decision's ``outcome`` keeps the real
reason for the audit log (short, so it fits the log's column: ``refused:practice``).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.registry.domain.model import Carer

# The partner whose consent a reader needs; admin reads for the data controller.
PARTNER_OF_ROLE = {"council": "council", "vasl": "vasl", "gp": "gp"}
READER_ROLES = ("council", "vasl", "gp", "admin")


class Outcome:
    """What the audit log records for a read; strings, stored as they are."""

    ALLOWED = "allowed"
    NOT_FOUND = "not_found"
    NO_CONSENT = "refused:consent"
    NOT_THEIR_PATIENT = "refused:practice"
    NOT_A_READER = "refused:role"


@dataclass(frozen=True)
class ReadDecision:
    outcome: str

    @property
    def allowed(self) -> bool:
        return self.outcome == Outcome.ALLOWED


def _same_org(a: str | None, b: str | None) -> bool:
    """ODS codes compared as the NHS writes them: upper case, no surrounding spaces."""
    return bool(a and b) and (a or "").strip().upper() == (b or "").strip().upper()


def practice_knows(carer: Carer, ods_code: str) -> bool:
    """Whether the practice ``ods_code`` identified, coded or registers this carer."""
    coded = (carer.gp_coded or {}).get("practice_ods_code")
    if _same_org(coded, ods_code) or _same_org(carer.gp_practice_ods, ods_code):
        return True
    return any(s.kind == "gp" and _same_org(s.org_code, ods_code) for s in carer.sources)


def decide_read(role: str, org: str, carer: Carer | None) -> ReadDecision:
    """The rule above, applied; ``carer`` is None when nothing matched what was asked."""
    if carer is None:
        return ReadDecision(Outcome.NOT_FOUND)
    if role == "admin":
        return ReadDecision(Outcome.ALLOWED)
    partner = PARTNER_OF_ROLE.get(role)
    if partner is None:
        return ReadDecision(Outcome.NOT_A_READER)
    if role == "gp" and not practice_knows(carer, org):
        return ReadDecision(Outcome.NOT_THEIR_PATIENT)
    if partner not in (carer.consent.get("share_with") or []):
        return ReadDecision(Outcome.NO_CONSENT)
    return ReadDecision(Outcome.ALLOWED)
