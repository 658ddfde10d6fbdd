"""The referrals service's Kafka entrypoint: carer changes from the registry.

Thin: the processor validates, deduplicates (inbox) and hands each event to its handler in
one transaction; the subscriber commits offsets only after that transaction has committed.
"""

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
        description=(
            "carer.registered and carer.updated: open, refresh or withdraw referrals; "
            "carer.merged: move them; carer.erased: withdraw them and erase the story."
        ),
        **subscriber_options(settings),
    )
    async def on_carer_changed(message: KafkaMessage) -> None:
        await processor.process(raw_records(message))
