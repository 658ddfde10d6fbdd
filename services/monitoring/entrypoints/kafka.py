"""The monitoring service's Kafka entrypoint: the published topics the figures come from.

Thin: one subscriber per topic, each with its own consumer group under the service's
prefix (``carers-monitoring...``), handing raw batches to the shared processor. A
tombstone on the compacted status topic (an erased carer's last snapshot removed) has
nothing to count: ``carer.erased`` on the registry topic says the same, so it is skipped.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared import topics
from shared.messaging.broker import subscriber_options
from shared.messaging.processor import EventProcessor, raw_records
from shared.settings import ServiceSettings

SUBSCRIPTIONS: tuple[tuple[str, str, str], ...] = (
    (topics.REGISTRY, "", "carers registered, re-identified, merged and erased"),
    (topics.STATUS, "-status", "GP coding from the carers' status snapshots"),
    (topics.REFERRALS, "-referrals", "referrals through their lifecycle, and outcomes"),
    (topics.NOTIFICATIONS, "-notifications", "messages sent, delivered and failed"),
)
"""(topic, consumer group suffix, what the figures take from it)."""


def groups(settings: ServiceSettings) -> dict[str, str]:
    """Consumer group -> the topic it reads (namespaced), for rebuilds and lag."""
    return {
        settings.consumer_group + suffix: settings.topic(topic)
        for topic, suffix, _ in SUBSCRIPTIONS
    }


def register_subscribers(
    broker: KafkaBroker,
    processor: EventProcessor,  # type: ignore[type-arg]
    settings: ServiceSettings,
) -> None:
    for topic, suffix, description in SUBSCRIPTIONS:
        _subscribe(broker, processor, settings, topic, suffix, description)


def _subscribe(
    broker: KafkaBroker,
    processor: EventProcessor,  # type: ignore[type-arg]
    settings: ServiceSettings,
    topic: str,
    suffix: str,
    description: str,
) -> None:
    @broker.subscriber(
        settings.topic(topic),
        title=f"monitoring/on_{topic.split('.')[1]}",
        description=f"The read model counts {description}.",
        **subscriber_options(settings, group_suffix=suffix),
    )
    async def on_event(message: KafkaMessage) -> None:
        records = [r for r in raw_records(message) if r.value is not None]
        if records:
            await processor.process(records)
