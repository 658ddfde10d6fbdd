"""A known set of published events for the monitoring read model, built with the shared
event models (shared/events/outbound.py) and the referrals service's own outcome rules, each
stamped with a chosen time so financial-year boundaries can be tested.

Fourteen carers: c01-c06 identified by a GP practice, c07-c12 by a school, c13 by the council
at 23:59 on 31 March 2026 (UK time, still 2025/26) and c14 a minute later (2026/27).
Referrals go through every lifecycle step; outcomes include joint assessments, weekly and
one-off direct payments and young carers' passports (two issued in an earlier year).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from pydantic import BaseModel

from services.referrals.domain.outcomes import check_outcome
from shared import topics
from shared.events import CloudEvent
from shared.events import outbound as ev

REGISTRY = "carers-connect/registry"
REFERRALS = "carers-connect/referrals"
NOTIFICATIONS = "carers-connect/notifications"
TODAY = date(2026, 5, 1)
Event = tuple[str, str, CloudEvent]  # (topic, key, event)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _event(type_: str, source: str, key: str, body: BaseModel, when: datetime) -> CloudEvent:
    return CloudEvent.new(type_, source, key, body).model_copy(update={"time": when})


def cid(n: int) -> str:
    return f"c{n:02d}"


def _carer(n: int, kind: str, org: str, when: str, category: str, *more: dict[str, Any]) -> Any:
    sources = [
        ev.Source(kind=kind, org_code=org, at=at(when)),
        *map(ev.Source.model_validate, more),
    ]
    return ev.CarerRegistered(
        carer_id=cid(n),
        category=category,  # type: ignore[arg-type]
        sources=sources,
        postcode_district="LE3" if n % 2 else "LE11",
    )


def registry_events() -> list[Event]:
    out: list[Event] = []
    first = "2025-05-01T10:00:00"
    for n in range(1, 15):
        if n <= 6:
            body = _carer(n, "gp", "C82001", first, "adult_carer")
        elif n <= 12:
            body = _carer(n, "school", "S123", first, "young_carer")
        else:
            # 31 March 2026 23:59 BST is 22:59 UTC; 1 April 00:00 BST is 23:00 UTC.
            when = "2026-03-31T22:59:00" if n == 13 else "2026-03-31T23:00:00"
            body = _carer(n, "council", "LCC", when, "adult_carer")
        out.append(
            (
                topics.REGISTRY,
                cid(n),
                _event("carer.registered", REGISTRY, cid(n), body, body.sources[0].at),
            )
        )
    for n in (1, 2, 3):
        council = {"kind": "council", "org_code": "LCC", "at": at("2025-07-01T09:00:00")}
        body = _carer(n, "gp", "C82001", first, "adult_carer", council)
        update = ev.CarerUpdated.model_validate(body.model_dump())
        out.append(
            (
                topics.REGISTRY,
                cid(n),
                _event("carer.updated", REGISTRY, cid(n), update, at("2025-07-01T09:00:00")),
            )
        )
    return out


def status_events() -> list[Event]:
    out: list[Event] = []
    for n in (1, 2, 3, 4, 5, 7):
        body = ev.CarerStatus(
            carer_id=cid(n),
            category="adult_carer" if n <= 6 else "young_carer",
            identified_by=[ev.Source(kind="gp", org_code="C82001", at=at("2025-05-01T10:00:00"))],
            gp_coded=ev.GpCoded(practice_ods_code="C82001", coded_at=at("2025-08-01T09:00:00")),
            consent=ev.ConsentSnapshot(share_with=["gp", "council"], contact=True),
            version=2,
            updated_at=at("2025-08-01T09:00:00"),
        )
        out.append(
            (topics.STATUS, cid(n), _event("carer.status", REGISTRY, cid(n), body, body.updated_at))
        )
    return out


def _referral(
    kind: type[ev.ReferralEvent], rid: str, n: int, service: str, when: str, **extra: Any
) -> Event:
    body = kind(referral_id=rid, carer_id=cid(n), service=service, **extra)  # type: ignore[arg-type]
    type_ = "referral." + kind.__name__.removeprefix("Referral").lower()
    return (topics.REFERRALS, cid(n), _event(type_, REFERRALS, cid(n), body, at(when)))


def _outcome(service: str, raw: dict[str, Any]) -> dict[str, Any]:
    return check_outcome(service, raw, TODAY)  # the referrals service's own rules


def referral_events() -> list[Event]:
    out: list[Event] = []
    ca, yc = "carers_assessment", "young_carers"
    accepted_on = ["03", "04", "05", "06", "09", "10"]  # June 2025: 1 to 6 working days
    for n in range(1, 8):
        out.append(_referral(ev.ReferralCreated, f"ca{n}", n, ca, "2025-06-02T09:00:00"))
    out.append(
        _referral(ev.ReferralOverdue, "ca5", 5, ca, "2025-06-09T07:00:00", status="requested")
    )
    out.append(
        _referral(ev.ReferralOverdue, "ca6", 6, ca, "2025-06-09T07:00:00", status="requested")
    )
    for n in range(1, 7):
        out.append(
            _referral(
                ev.ReferralAccepted, f"ca{n}", n, ca, f"2025-06-{accepted_on[n - 1]}T09:00:00"
            )
        )
    out.append(
        _referral(ev.ReferralDeclined, "ca7", 7, ca, "2025-06-03T09:00:00", reason="not eligible")
    )
    for n in range(1, 7):
        payment = (
            {"kind": "weekly", "amount": "50"} if n <= 5 else {"kind": "one_off", "amount": "300"}
        )
        raw = {"type": "assessment_completed", "eligible_needs": True, "direct_payment": payment}
        outcome = _outcome(ca, {**raw, "joint": True} if n <= 2 else raw)
        out.append(
            _referral(ev.ReferralCompleted, f"ca{n}", n, ca, "2025-06-20T09:00:00", outcome=outcome)
        )
    # Young carers: received Friday 2 May 2025, accepted Tuesday 6 May (Monday 5 May was a
    # bank holiday): one working day.
    for n in range(7, 13):
        out.append(_referral(ev.ReferralCreated, f"yc{n}", n, yc, "2025-05-02T09:00:00"))
    for n in range(7, 12):
        out.append(_referral(ev.ReferralAccepted, f"yc{n}", n, yc, "2025-05-06T09:00:00"))
    out.append(_referral(ev.ReferralWithdrawn, "yc12", 12, yc, "2025-05-20T09:00:00"))
    for n in range(7, 12):
        raw = {
            "type": "assessment_completed",
            "eligible_needs": True,
            "direct_payment": {"kind": "one_off", "amount": "120.50"},
        }
        out.append(
            _referral(
                ev.ReferralCompleted,
                f"yc{n}",
                n,
                yc,
                "2025-06-20T09:00:00",
                outcome=_outcome(yc, raw),
            )
        )
    for n in range(7, 12):  # passports: three issued this year, two in 2024/25
        out.append(_referral(ev.ReferralCreated, f"yp{n}", n, yc, "2025-06-02T09:00:00"))
        out.append(_referral(ev.ReferralAccepted, f"yp{n}", n, yc, "2025-06-02T10:00:00"))
        issued = "2025-06-10" if n <= 9 else "2024-09-01"
        raw = {"type": "passport_issued", "number": f"YC-{n:04d}", "issued_on": issued}
        out.append(
            _referral(
                ev.ReferralCompleted,
                f"yp{n}",
                n,
                yc,
                "2025-06-25T09:00:00",
                outcome=_outcome(yc, raw),
            )
        )
    for n in range(1, 6):
        out.append(_referral(ev.ReferralCreated, f"va{n}", n, "vasl", "2025-06-02T09:00:00"))
        out.append(_referral(ev.ReferralAccepted, f"va{n}", n, "vasl", "2025-06-02T11:00:00"))
    return out


def notification_events() -> list[Event]:
    out: list[Event] = []
    template = ev.TemplateRef(id="referral-accepted", version=1)
    when = at("2025-06-15T09:00:00")

    def note(kind: type[ev.NotificationEvent], n: int, channel: str) -> Event:
        fields = {"notification_id": f"{channel}{n}", "carer_id": cid(n), "channel": channel}
        body = kind.model_validate({**fields, "template": template})
        type_ = "notification." + kind.__name__.removeprefix("Notification").lower()
        return (topics.NOTIFICATIONS, cid(n), _event(type_, NOTIFICATIONS, cid(n), body, when))

    for n in range(1, 7):
        out.append(note(ev.NotificationSent, n, "email"))
    out += [note(ev.NotificationDelivered, n, "email") for n in range(1, 6)]
    out.append(note(ev.NotificationFailed, 6, "email"))
    out += [note(ev.NotificationSent, n, "sms") for n in range(7, 12)]
    out += [note(ev.NotificationDelivered, n, "sms") for n in range(7, 12)]
    return out


def known_events() -> list[Event]:
    return [*registry_events(), *status_events(), *referral_events(), *notification_events()]


async def publish(bootstrap: str, namespace: str, events: list[Event]) -> None:
    """Each event on its topic, keyed by carer as the services key them, in order."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for topic, key, event in events:
            await producer.send(namespace + topic, event.to_bytes(), key=key.encode())
        await producer.flush()
    finally:
        await producer.stop()


EXPECTED_2025_26: dict[str, dict[str, list[Any]]] = {
    "identified": {"New carers": [13], "Repeat identifications": [None]},
    "identified-by-source": {
        "gp": [None, 0],
        "hospital": [0, 0],
        "council": [None, None],
        "vasl": [0, 0],
        "school": [6, 0],
        "self": [0, 0],
        "other": [0, 0],
    },
    "identified-by-organisation": {
        "council LCC": [None, None],
        "gp C82001": [None, 0],
        "school S123": [6, 0],
    },
    "identified-by-category": {
        "young_carer": [6, 0],
        "young_adult_carer": [0, 0],
        "adult_carer": [7, None],
        "unknown": [0, 0],
    },
    "referrals": {
        "carers_assessment": [7, 6, None, 6, 0, None],
        "young_carers": [11, 10, 0, 10, None, 0],
        "support_at_home": [0, 0, 0, 0, 0, 0],
        "vasl": [5, 5, 0, 0, 0, 0],
    },
    "acceptance": {
        "carers_assessment": [6, 3.5, 6],
        "young_carers": [10, 0.5, 1],
        "support_at_home": [0, "", ""],
        "vasl": [5, 0.0, 0],
    },
    "assessments": {
        "Completed": [11, 100.0],
        "Joint with the cared-for person": [None, None],
        "Not joint": [None, None],
    },
    "direct-payments": {"Weekly": [5, "250.00"], "One-off": [6, "902.50"]},
    "young-carers": {
        "Assessment referrals received": [11],
        "Full assessments completed": [5],
        "Passports issued in the period": [None],
        "Passports issued since launch": [5],
    },
    "vasl": {"Carers with a VASL referral accepted": [5]},
    "known": {
        "Carers known to Carers Connect": [13, 100.0],
        "Known to their GP": [7, 53.8],
        "Coded as a carer by their GP": [6, 46.2],
        "Known to the council": [13, 100.0],
        "Known to both": [7, 53.8],
    },
    "messages": {"email": [6, 5, None], "sms": [5, 5, 0]},
    "monthly": {
        "2025-04": [0, 0, 0, 0, 0, 0],
        "2025-05": [None, 0, 6, 0, 0, 0],
        "2025-06": [0, 0, 17, 11, None, 11],
        "2025-07": [0, None, 0, 0, 0, 0],
        **{f"2025-{m:02d}": [0] * 6 for m in range(8, 13)},
        "2026-01": [0] * 6,
        "2026-02": [0] * 6,
        "2026-03": [None, 0, 0, 0, 0, 0],
    },
}
