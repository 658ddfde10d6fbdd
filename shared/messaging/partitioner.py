"""Kafka's default partitioner (murmur2 of the key), quicker than aiokafka's.

Every event the relay publishes is keyed (by carer), and aiokafka hashes each key in a
pure-Python port of the Java client's ``murmur2`` that masks after every operation: about
10-20 microseconds for a 36-byte carer id, more than the rest of ``send`` put together.
This is the same function (a unit test compares them over many keys, so a carer's events
land on the partition any Java or librdkafka producer would choose), reading the key four
bytes at a time with ``struct`` and remembering recent keys, which repeat: a carer's
registered event and status snapshot go out together.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from functools import lru_cache

_M = 0x5BD1E995
_SEED = 0x9747B28C
_MASK = 0xFFFFFFFF


@lru_cache(maxsize=64)
def _words(count: int) -> struct.Struct:
    return struct.Struct(f"<{count}I")


def murmur2(data: bytes) -> int:
    """MurmurHash2 as ``org.apache.kafka.common.utils.Utils.murmur2`` (unsigned 32 bits)."""
    length = len(data)
    h = _SEED ^ length
    blocks = length >> 2
    for k in _words(blocks).unpack_from(data):
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    tail = length & 3
    if tail:
        base = blocks << 2
        if tail == 3:
            h ^= data[base + 2] << 16
        if tail >= 2:
            h ^= data[base + 1] << 8
        h = ((h ^ data[base]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


@lru_cache(maxsize=65_536)
def _slot(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class KafkaPartitioner:
    """aiokafka's ``partitioner`` interface: same choices as Kafka's default partitioner."""

    def __call__(
        self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
    ) -> int:
        if key is None:
            return random.choice(available or all_partitions)
        return all_partitions[_slot(key, len(all_partitions))]
