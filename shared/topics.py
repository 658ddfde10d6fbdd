"""The one registry of Kafka topic names (contract section 1).

Every producer, consumer, set-up script, compose file and Kubernetes manifest takes its topic
names from here, so a topic cannot be misspelt in one place and silently left unread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INBOUND = "carers.inbound.v1"
REGISTRY = "carers.registry.v1"
STATUS = "carers.status.v1"
REFERRALS = "carers.referrals.v1"
NOTIFICATIONS = "carers.notifications.v1"
CONSULTATION = "carers.consultation.v1"
DEADLETTER = "carers.deadletter.v1"
SELFSERVICE = "carers.selfservice.v1"

# Source binding on Kafka (contract section 6.1; shared/kafka/principals.py): Kafka does not
# tell a consumer who wrote a record, so each partner organisation that sends over Kafka has
# its own inbound topic, writable only by that organisation's principal, and the registry
# refuses an event there whose source is not that organisation. carers.inbound.v1 stays for
# the registry's own HTTP/FHIR ingest and self-service (and for partners on the unsecured
# single broker used in development).
PARTNER_INBOUND_PREFIX = "carers.inbound.partner."
KAFKA_PARTNERS: tuple[tuple[str, str], ...] = (("gp", "C82001"), ("hospital", "RWE"))
"""(identified_by.kind, ODS code) of each organisation that sends over Kafka."""


def partner_inbound(kind: str, org_code: str) -> str:
    """The inbound topic of one partner organisation, e.g. carers.inbound.partner.gp.c82001.v1."""
    return f"{PARTNER_INBOUND_PREFIX}{kind}.{org_code.lower()}.v1"


PARTNER_INBOUND: tuple[str, ...] = tuple(partner_inbound(k, o) for k, o in KAFKA_PARTNERS)

# The other direction (issue 17): what the registry tells one partner organisation and no
# other, e.g. a GP practice's "code this patient as a carer" suggestions. Readable only by
# that organisation's principal (and written by the registry): a suggestion names a patient,
# so it must never go on a topic every partner reads. Practices without a topic (not in
# KAFKA_PARTNERS) see the same items on GET /gp/carers-to-code.
PARTNER_OUTBOUND_PREFIX = "carers.outbound.partner."
PARTNER_OUTBOUND_EVENT_TYPES = ("gp.coding_suggested",)


def partner_outbound(kind: str, org_code: str) -> str:
    """The outbound topic of one partner organisation, e.g. carers.outbound.partner.gp.c82001.v1."""
    return f"{PARTNER_OUTBOUND_PREFIX}{kind}.{org_code.lower()}.v1"


GP_OUTBOUND: dict[str, str] = {o: partner_outbound(k, o) for k, o in KAFKA_PARTNERS if k == "gp"}
"""Practice ODS code (upper case) -> its own outbound topic."""
PARTNER_OUTBOUND: tuple[str, ...] = tuple(GP_OUTBOUND.values())
INBOUND_EVENT_TYPES = (
    "carer.identified",
    "gp.carer_coded",
    "consent.updated",
    "carer.erasure_requested",
)


@dataclass(frozen=True)
class TopicSpec:
    """How a topic is created: partitions and topic-level configuration."""

    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)
    event_types: tuple[str, ...] = ()


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(INBOUND, 6, event_types=INBOUND_EVENT_TYPES),
    TopicSpec(
        REGISTRY,
        6,
        event_types=(
            "carer.registered",
            "carer.updated",
            "carer.merged",
            "carer.erased",
            "consent.widened",
        ),
    ),
    # Compacted: a new partner reads the latest status of every carer, and an erased
    # carer's tombstone removes the last copy of their status.
    TopicSpec(
        STATUS,
        6,
        {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"},
        event_types=("carer.status",),
    ),
    TopicSpec(
        REFERRALS,
        6,
        event_types=(
            "referral.created",
            "referral.accepted",
            "referral.declined",
            "referral.completed",
            "referral.withdrawn",
            "referral.overdue",
        ),
    ),
    TopicSpec(
        NOTIFICATIONS,
        6,
        event_types=("notification.sent", "notification.delivered", "notification.failed"),
    ),
    TopicSpec(
        CONSULTATION,
        3,
        event_types=("consultation.response_submitted", "consultation.interest_registered"),
    ),
    TopicSpec(DEADLETTER, 3),
    # Internal, not for partners (ACLs: the registry writes, notifications reads): carers'
    # requests for a sign-in code. Short retention: a code is worth nothing after 10 minutes.
    TopicSpec(
        SELFSERVICE,
        3,
        {"retention.ms": str(60 * 60 * 1000)},
        event_types=("selfservice.code_requested",),
    ),
    *(TopicSpec(name, 3, event_types=INBOUND_EVENT_TYPES) for name in PARTNER_INBOUND),
    *(TopicSpec(name, 3, event_types=PARTNER_OUTBOUND_EVENT_TYPES) for name in PARTNER_OUTBOUND),
)

TOPIC_NAMES: tuple[str, ...] = tuple(t.name for t in TOPICS)


def namespaced(namespace: str) -> tuple[TopicSpec, ...]:
    """The contract topics under a name prefix (tests give each run its own set)."""
    return tuple(
        TopicSpec(namespace + t.name, t.partitions, dict(t.config), t.event_types) for t in TOPICS
    )


DAY_MS = 24 * 60 * 60 * 1000


def with_retention(
    specs: tuple[TopicSpec, ...], retention_days: int, deadletter_retention_days: int
) -> tuple[TopicSpec, ...]:
    """Specs with the council's retention schedule applied: events carry personal data, so
    every log topic deletes after ``retention_days`` (dead letters after their own period);
    the compacted status topic keeps one snapshot per carer and drops tombstones after a day.
    """
    out = []
    for spec in specs:
        config = dict(spec.config)
        if config.get("cleanup.policy") == "compact":
            config.setdefault("delete.retention.ms", str(DAY_MS))
        else:
            days = deadletter_retention_days if spec.name.endswith(DEADLETTER) else retention_days
            # A topic that keeps its events for less than the schedule keeps its own period.
            own = int(config.get("retention.ms", days * DAY_MS))
            config["retention.ms"] = str(min(own, days * DAY_MS))
        out.append(TopicSpec(spec.name, spec.partitions, config, spec.event_types))
    return tuple(out)


def topic_for_event(event_type: str) -> str:
    """The topic an event type is published on; KeyError for a type the contract lacks."""
    for spec in TOPICS:
        if event_type in spec.event_types:
            return spec.name
    raise KeyError(f"no topic carries event type {event_type!r}")
