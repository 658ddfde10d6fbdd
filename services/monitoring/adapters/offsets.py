"""The read model's place in each topic: how far behind it is, and going back to the start.

A rebuild resets every one of the service's consumer groups to the earliest offset still on
its topic, by committing those offsets for the group (the service must be stopped: a group
with live members refuses a commit from outside). Lag is the sum over partitions of the
latest offset less the group's committed one.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from shared.messaging.broker import bootstrap_list, client_security_kwargs
from shared.settings import ServiceSettings


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The topic's partitions, after asking the cluster (a fresh client knows none yet)."""
    await consumer._client.force_metadata_update()
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]


def _consumer(settings: ServiceSettings, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap_list(settings),
        group_id=group,
        enable_auto_commit=False,
        **client_security_kwargs(settings),
    )


async def reset_to_earliest(settings: ServiceSettings, groups: Mapping[str, str]) -> int:
    """Commit the earliest offsets for every group; returns the partitions reset."""
    reset = 0
    for group, topic in groups.items():
        consumer = _consumer(settings, group)
        await consumer.start()
        try:
            partitions = await _partitions(consumer, topic)
            consumer.assign(partitions)
            earliest = await consumer.beginning_offsets(partitions)
            await consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in earliest.items()})
            reset += len(partitions)
        finally:
            await consumer.stop()
    return reset


async def lag(settings: ServiceSettings, groups: Mapping[str, str]) -> int:
    """Records on the topics the groups have not committed yet (all of them if never)."""
    behind = 0
    for group, topic in groups.items():
        consumer = _consumer(settings, group)
        await consumer.start()
        try:
            partitions = await _partitions(consumer, topic)
            if not partitions:
                continue
            ends = await consumer.end_offsets(partitions)
            starts = await consumer.beginning_offsets(partitions)
            for tp in partitions:
                committed = await consumer.committed(tp)
                behind += ends[tp] - (starts[tp] if committed is None else committed)
        finally:
            await consumer.stop()
    return behind
