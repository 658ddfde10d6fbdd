"""A run of carer events decided together, as the batch handler does, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.referrals.domain.model import Referral
from services.referrals.domain.working_days import WorkingCalendar
from services.referrals.service_layer.handlers import ServiceLevel, _Changes, decide
from shared.events import CarerRegistered, CloudEvent

LEVEL = ServiceLevel(5, WorkingCalendar(frozenset()))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(minutes: int, share_with: list[str], **data: Any) -> tuple[CloudEvent, Any]:
    body = {
        "carer_id": "c-1",
        "category": "adult_carer",
        "sources": [{"kind": "gp", "org_code": "C82001", "at": "2026-03-01T10:00:00Z"}],
        "consent": {"share_with": share_with, "contact": True},
        "support_requested": ["carers_assessment"],
        "story": "My story.",
        **data,
    }
    envelope = CloudEvent.new("carer.updated", "urn:carers:registry", "c-1", body)
    envelope = envelope.model_copy(update={"time": T0 + timedelta(minutes=minutes)})
    return envelope, CarerRegistered.model_validate(body)


def test_consent_given_taken_and_given_again_in_one_batch_is_decided_in_order() -> None:
    history: list[Referral] = []
    changes = _Changes()
    for envelope, carer in (
        event(0, ["council", "vasl"]),
        event(1, ["council"]),
        event(2, ["council", "vasl"]),
    ):
        decide(envelope, carer, history, LEVEL, changes)
    assert [(r.service, r.status) for r in history] == [
        ("vasl", "withdrawn"),
        ("carers_assessment", "requested"),
        ("vasl", "requested"),
    ]
    assert [(t, r.service) for r, t, _, _ in changes.events] == [
        ("referral.created", "vasl"),
        ("referral.created", "carers_assessment"),
        ("referral.withdrawn", "vasl"),
        ("referral.created", "vasl"),
    ]
    assert set(changes.new) == {r.referral_id for r in history}, "all three are new rows"
    assert changes.changed == {}
    assert history[0].due_by == date(2026, 3, 9)


def test_a_repeat_with_a_longer_story_refreshes_the_open_referral_without_an_event() -> None:
    history: list[Referral] = []
    first = _Changes()
    decide(*event(0, ["vasl"]), history, LEVEL, first)
    later = _Changes()
    decide(*event(5, ["vasl"], story="My story.\n\nMore now."), history, LEVEL, later)
    (referral,) = history
    assert referral.details.story == "My story.\n\nMore now."
    assert list(later.changed) == [referral.referral_id] and later.events == []


def test_consent_withdrawn_empties_every_referral_to_that_partner_open_or_closed_once() -> None:
    history: list[Referral] = []
    decide(*event(0, ["council", "vasl"]), history, LEVEL, _Changes())
    vasl, assessment = history
    assessment.accept(at=T0, by="council:LCC")
    assessment.complete({"type": "signposted", "to": "Drop-in"}, today=T0.date(), at=T0, by="x")
    assessment.pending_events.clear()

    narrowed = _Changes()
    decide(*event(1, ["gp"]), history, LEVEL, narrowed)
    assert (vasl.status, assessment.status) == ("withdrawn", "completed")
    for referral in (vasl, assessment):
        assert referral.details_removed == "withdrawn consent: details removed"
        assert (referral.details.story, referral.details.contact) == (None, {})
        assert referral.details.category == "adult_carer"
    assert assessment.outcome == {"type": "signposted", "to": "Drop-in"}
    assert set(narrowed.changed) == {vasl.referral_id, assessment.referral_id}
    assert [t for _, t, _, _ in narrowed.events] == ["referral.withdrawn"], "no event to empty"

    again = _Changes()
    decide(*event(2, ["gp"]), history, LEVEL, again)
    assert again.changed == {} and again.events == [], "emptied once, not on every update"
