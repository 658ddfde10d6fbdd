"""List dead letters and replay chosen ones after a fix.

``python -m shared.cli deadletters list`` shows each dead letter's offset on the dead-letter
topic, the service, where the original came from and the reason. Dead letters are
``deadletter.recorded`` CloudEvents (``shared.messaging.deadletter``); older bare ones are read
too. ``replay OFFSET...`` sends the original bytes back to their original topic with their
original key and headers (a binary-mode event's ``ce_*`` attributes), so the fixed
service processes them as if they had just arrived (a message that is still bad is
dead-lettered again, with its new reason). kafka-python, not aiokafka: a command-line tool
needs no event loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from shared import topics
from shared.messaging.deadletter import read_dead_letter
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    letter: dict[str, Any]

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"


def security(settings: ServiceSettings | None) -> dict[str, Any]:
    """kafka-python's names for the services' own security settings."""
    if settings is None or settings.kafka_security_protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if settings.kafka_ssl_cafile:
        options["ssl_cafile"] = settings.kafka_ssl_cafile
    if settings.kafka_security_protocol.startswith("SASL"):
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password,
        )
    return options


def read_all(
    bootstrap: str,
    namespace: str = "",
    timeout_ms: int = 2000,
    settings: ServiceSettings | None = None,
) -> list[DeadLetter]:
    topic = namespace + topics.DEADLETTER
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=timeout_ms,
        **security(settings),
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        letters: list[DeadLetter] = []
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            batch = consumer.poll(timeout_ms=timeout_ms)
            if not batch:
                break
            for records in batch.values():
                letters.extend(
                    DeadLetter(r.partition, r.offset, read_dead_letter(r.value)) for r in records
                )
        return sorted(letters, key=lambda d: d.letter.get("dead_lettered_at", ""))
    finally:
        consumer.close()


def replay(
    bootstrap: str,
    positions: Iterable[str],
    namespace: str = "",
    settings: ServiceSettings | None = None,
) -> list[DeadLetter]:
    """Send the originals at ``positions`` ("partition:offset") back to their topics."""
    wanted = set(positions)
    chosen = [d for d in read_all(bootstrap, namespace, settings=settings) if d.position in wanted]
    missing = wanted - {d.position for d in chosen}
    if missing:
        raise SystemExit(f"no dead letter at {', '.join(sorted(missing))}")
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **security(settings)
    )
    try:
        for dead in chosen:
            key = dead.letter["key"]
            producer.send(
                dead.letter["topic"],
                dead.letter["original_bytes"],
                key=key.encode() if key is not None else None,
                # a binary-mode CloudEvent's attributes are its ce_* headers: keep them
                headers=dead.letter["original_headers"] or None,
            )
        producer.flush()
    finally:
        producer.close()
    return chosen


def describe(dead: DeadLetter) -> str:
    letter = dead.letter
    truncated = " (original truncated)" if letter.get("original_truncated") else ""
    return (
        f"{dead.position:>8}  {letter['service']:<13} "
        f"{letter['topic']}@{letter['partition']}:{letter['offset']}  "
        f"{letter['reason']}{truncated}"
    )


def as_json(dead: DeadLetter) -> str:
    hidden = ("original_bytes", "original_headers")
    letter = {k: v for k, v in dead.letter.items() if k not in hidden}
    return json.dumps({"position": dead.position, **letter}, ensure_ascii=False)
