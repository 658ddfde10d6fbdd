"""Prometheus metrics: FastStream's own per-message metrics plus the platform's domain counters.

One registry per process, served on every service's ``/metrics``. Domain counters are
counted where the facts are decided, once, in shared code: events published (by type, so
``carer.registered`` counts carers registered, ``referral.accepted`` referrals accepted,
``notification.failed`` failed notifications), dead letters, and consumer lag per partition
measured when scraped.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS_PUBLISHED = Counter(
    "carers_events_published",
    "Events queued for publication through the outbox, by service and event type",
    ["service", "event_type"],
    registry=REGISTRY,
)
EVENTS_PROCESSED = Counter(
    "carers_events_processed",
    "Inbound events handled (first delivery only), by service",
    ["service"],
    registry=REGISTRY,
)
DUPLICATES = Counter(
    "carers_duplicate_deliveries",
    "Redelivered events skipped by the inbox, by service",
    ["service"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "carers_dead_letters",
    "Messages sent to the dead-letter topic, by service",
    ["service"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "carers_consumer_lag",
    "Messages not yet consumed, per topic partition (measured when scraped)",
    ["service", "topic", "partition"],
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge(
    "carers_outbox_pending",
    "Outbox rows waiting for the relay (measured when scraped)",
    ["service"],
    registry=REGISTRY,
)


def record_lag(service: str, broker: Any) -> None:
    """Lag of every partition this process consumes: highwater minus position."""
    for subscriber in getattr(broker, "subscribers", []):
        consumer = getattr(subscriber, "consumer", None)
        if consumer is None:
            continue
        try:
            assignment = consumer.assignment()
        except Exception:
            continue
        for partition in assignment:
            highwater = consumer.highwater(partition)
            if highwater is None:
                continue
            try:
                position = consumer._subscription.subscription.assignment.state_value(
                    partition
                ).position
            except Exception:
                continue
            if position is not None:
                CONSUMER_LAG.labels(service, partition.topic, str(partition.partition)).set(
                    max(highwater - position, 0)
                )


def exposition() -> bytes:
    return generate_latest(REGISTRY)
