"""The referrals service's Kafka entrypoint: carer changes from the registry."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared import topics
from shared.messaging.broker import subscriber_options
from shared.messaging.processor import EventProcessor, raw_records
from shared.settings import ServiceSettings


def register_subscribers(
    broker: KafkaBroker,
    processor: EventProcessor,
    settings: ServiceSettings,  # type: ignore[type-arg]
) -> None:
    @broker.subscriber(
        settings.topic(topics.REGISTRY),
        title="referrals/on_carer_changed",
        description="carer.registered and carer.updated: open or withdraw referrals.",
        **subscriber_options(settings),
    )
    async def on_carer_changed(message: KafkaMessage) -> None:
        await processor.process(raw_records(message))
