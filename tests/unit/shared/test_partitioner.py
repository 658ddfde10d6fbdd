"""Our murmur2 partitioner must choose exactly what Kafka's (and aiokafka's) would."""

from __future__ import annotations

import os
import uuid

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as reference_murmur2

from shared.messaging.partitioner import KafkaPartitioner, murmur2


def test_murmur2_matches_the_java_clients_port_for_every_length() -> None:
    keys = [os.urandom(n) for n in range(0, 70) for _ in range(20)]
    keys += [str(uuid.uuid4()).encode() for _ in range(500)] + [b"9434765919", b""]
    for key in keys:
        assert murmur2(key) == reference_murmur2(key), key


def test_partitions_match_the_default_partitioner() -> None:
    ours, theirs = KafkaPartitioner(), DefaultPartitioner()
    for partitions in (1, 3, 6, 12):
        all_partitions = list(range(partitions))
        for _ in range(300):
            key = str(uuid.uuid4()).encode()
            chosen = ours(key, all_partitions, all_partitions)
            assert chosen == theirs(key, all_partitions, all_partitions)
            assert ours(key, all_partitions, all_partitions) == chosen  # remembered, same


def test_a_keyless_message_goes_to_an_available_partition() -> None:
    assert KafkaPartitioner()(None, [0, 1, 2], [2]) == 2
