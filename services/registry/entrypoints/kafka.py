"""The registry's Kafka entrypoint: inbound events from partners, in batches."""

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
        settings.topic(topics.INBOUND),
        title="registry/on_inbound",
        description="Identifications, GP coding, consent changes and erasure requests.",
        **subscriber_options(settings),
    )
    async def on_inbound(message: KafkaMessage) -> None:
        await processor.process(raw_records(message))
