"""The read rule on its own (contract 6.4): role, practice and consent decide; the outcome
names the real reason for the audit log."""

from __future__ import annotations

import pytest

from services.registry.domain.model import Carer, Source
from services.registry.domain.read_access import Outcome, decide_read


def _carer(
    share_with: list[str], sources: tuple[tuple[str, str], ...] = (), coded: str = ""
) -> Carer:
    carer = Carer("c1", "9434765919", "Siân", "Smith", None, "LE1 6ZG")
    carer.consent = {"share_with": share_with, "contact": True}
    carer.sources = [
        Source(kind, org, None, "2026-03-01T10:00:00+00:00", "e") for kind, org in sources
    ]
    carer.gp_coded = {"practice_ods_code": coded, "coded_at": "2026-03-02"} if coded else None
    return carer


@pytest.mark.parametrize(
    ("role", "org", "carer", "outcome"),
    [
        ("gp", "C82001", _carer(["gp"], (("gp", "C82001"),)), Outcome.ALLOWED),
        ("gp", "c82001 ", _carer(["gp"], (("gp", "C82001"),)), Outcome.ALLOWED),
        ("gp", "C84001", _carer(["gp"], (("gp", "C82001"),)), Outcome.NOT_THEIR_PATIENT),
        ("gp", "C84001", _carer(["gp"], (("hospital", "C84001"),)), Outcome.NOT_THEIR_PATIENT),
        ("gp", "C84001", _carer(["gp"], coded="C84001"), Outcome.ALLOWED),
        ("gp", "C82001", _carer(["council"], (("gp", "C82001"),)), Outcome.NO_CONSENT),
        ("council", "LCC", _carer(["council"]), Outcome.ALLOWED),
        ("council", "LCC", _carer(["gp", "vasl"]), Outcome.NO_CONSENT),
        ("vasl", "VASL", _carer(["vasl"]), Outcome.ALLOWED),
        ("vasl", "VASL", _carer([]), Outcome.NO_CONSENT),
        ("admin", "ADMIN", _carer([]), Outcome.ALLOWED),
        ("hospital", "RX1", _carer(["gp", "council", "vasl"]), Outcome.NOT_A_READER),
        ("council", "LCC", None, Outcome.NOT_FOUND),
    ],
)
def test_who_may_read_a_carer(role: str, org: str, carer: Carer | None, outcome: str) -> None:
    decision = decide_read(role, org, carer)
    assert decision.outcome == outcome
    assert decision.allowed is (outcome == Outcome.ALLOWED)


def test_every_refusal_reason_fits_the_audit_logs_outcome_column() -> None:
    reasons = [v for k, v in vars(Outcome).items() if k.isupper()]
    assert reasons and all(len(r) <= 20 for r in reasons)
