"""The notifications service's Kafka entrypoint: carer changes and referral events."""

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
    signin: EventProcessor | None = None,  # type: ignore[type-arg]
) -> None:
    @broker.subscriber(
        settings.topic(topics.REGISTRY),
        settings.topic(topics.REFERRALS),
        title="notifications/on_carer_or_referral",
        description="Contact details from the registry; referral events to tell carers about.",
        **subscriber_options(settings),
    )
    async def on_carer_or_referral(message: KafkaMessage) -> None:
        await processor.process(raw_records(message))

    if signin is None:
        return

    @broker.subscriber(
        settings.topic(topics.SELFSERVICE),
        title="notifications/on_signin_code",
        description="Carers' requests for a self-service sign-in code (internal topic).",
        **subscriber_options(settings, group_suffix="-selfservice"),
    )
    async def on_signin_code(message: KafkaMessage) -> None:
        await signin.process(raw_records(message))
