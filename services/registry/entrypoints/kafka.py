"""The registry's Kafka entrypoints: partners' inbound events, and referral progress."""

from __future__ import annotations

from collections.abc import Mapping

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared import topics
from shared.messaging.broker import subscriber_options
from shared.messaging.processor import EventProcessor, raw_records
from shared.settings import ServiceSettings


def register_subscribers(
    broker: KafkaBroker,
    inbound: EventProcessor,  # type: ignore[type-arg]
    referrals: EventProcessor,  # type: ignore[type-arg]
    settings: ServiceSettings,
    partners: Mapping[str, EventProcessor] | None = None,  # type: ignore[type-arg]
) -> None:
    @broker.subscriber(
        settings.topic(topics.INBOUND),
        title="registry/on_inbound",
        description="Identifications, GP coding, consent changes and erasure requests.",
        **subscriber_options(settings),
    )
    async def on_inbound(message: KafkaMessage) -> None:
        await inbound.process(raw_records(message))

    @broker.subscriber(
        settings.topic(topics.REFERRALS),
        title="registry/on_referral",
        description="Referral progress, kept in each carer's status snapshot.",
        **subscriber_options(settings, group_suffix="-referrals"),
    )
    async def on_referral(message: KafkaMessage) -> None:
        await referrals.process(raw_records(message))

    if not partners:
        return

    @broker.subscriber(
        *partners,
        title="registry/on_partner_inbound",
        description=(
            "Each partner organisation's own inbound topic (only it may write there): the "
            "same events as carers.inbound.v1; a source that is not that partner's is refused."
        ),
        **subscriber_options(settings, group_suffix="-partners"),
    )
    async def on_partner_inbound(message: KafkaMessage) -> None:
        records = raw_records(message)
        for topic in dict.fromkeys(record.topic for record in records):  # in arrival order
            await partners[topic].process([r for r in records if r.topic == topic])
