"""Kafka clients with safe defaults, made in one place.

aiokafka's producer defaults to ``acks=1`` without idempotence, and FastStream's Kafka
subscribers default to at-most-once (commit on receipt). Both lose data on a crash, so here:
producers wait for every in-sync replica and are idempotent; subscribers commit only after
the handler returns, i.e. after its database transaction has committed, and seek back
(redeliver) when it raises.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry.provider import (
    BatchKafkaTelemetrySettingsProvider,
    KafkaTelemetrySettingsProvider,
    telemetry_attributes_provider_factory,
)
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.opentelemetry.middleware import TelemetryMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from opentelemetry.semconv.trace import SpanAttributes

from shared.messaging.partitioner import KafkaPartitioner
from shared.metrics import REGISTRY
from shared.settings import ServiceSettings

PRODUCER_SAFETY: dict[str, Any] = {"acks": "all", "enable_idempotence": True}


def bootstrap_list(settings: ServiceSettings) -> list[str]:
    """``KAFKA_BOOTSTRAP_SERVERS`` as a list: aiokafka reads one string as ONE host, so
    "a:9092,b:9092" (several brokers, as on the local three-node cluster) never connected."""
    return [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()]


def _ssl_context(settings: ServiceSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.kafka_ssl_cafile)


def security(settings: ServiceSettings) -> BaseSecurity | None:
    """SASL_SSL with SCRAM when configured (production); plaintext on the local broker."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    use_ssl = protocol in ("SSL", "SASL_SSL")
    context = _ssl_context(settings) if use_ssl else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    user, password = settings.kafka_sasl_username, settings.kafka_sasl_password
    if not user or not password:
        raise ValueError("KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required for SASL")
    mechanism = {
        "SCRAM-SHA-512": SASLScram512,
        "SCRAM-SHA-256": SASLScram256,
        "PLAIN": SASLPlaintext,
    }[settings.kafka_sasl_mechanism]
    return mechanism(username=user, password=password, ssl_context=context, use_ssl=use_ssl)


class _KeylessSingle(KafkaTelemetrySettingsProvider):
    """FastStream's span attributes without the message key: our keys are NHS numbers."""

    def get_consume_attrs_from_message(self, msg: Any) -> dict[str, Any]:
        attrs = super().get_consume_attrs_from_message(msg)
        attrs.pop(SpanAttributes.MESSAGING_KAFKA_MESSAGE_KEY, None)
        return attrs

    def get_publish_attrs_from_cmd(self, cmd: Any) -> dict[str, Any]:
        attrs = super().get_publish_attrs_from_cmd(cmd)
        attrs.pop(SpanAttributes.MESSAGING_KAFKA_MESSAGE_KEY, None)
        return attrs


class _KeylessBatch(BatchKafkaTelemetrySettingsProvider):
    def get_publish_attrs_from_cmd(self, cmd: Any) -> dict[str, Any]:
        attrs = super().get_publish_attrs_from_cmd(cmd)
        attrs.pop(SpanAttributes.MESSAGING_KAFKA_MESSAGE_KEY, None)
        return attrs


def _keyless_attributes(msg: Any) -> Any:
    if isinstance(telemetry_attributes_provider_factory(msg), BatchKafkaTelemetrySettingsProvider):
        return _KeylessBatch()
    return _KeylessSingle()


def telemetry_middleware() -> TelemetryMiddleware[Any]:
    """Tracing for every message, with no personal data in span attributes."""
    return TelemetryMiddleware(settings_provider_factory=_keyless_attributes)


def make_broker(settings: ServiceSettings, **kwargs: Any) -> KafkaBroker:
    """The service's FastStream broker: safe producer, manual-after-success acknowledgement."""
    return KafkaBroker(
        bootstrap_list(settings),
        client_id=f"carers-{settings.service_name}",
        security=security(settings),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        middlewares=(
            telemetry_middleware(),
            KafkaPrometheusMiddleware(registry=REGISTRY, app_name=settings.service_name),
        ),
        # FastStream's per-message "Received/Processed" lines go to our JSON log at DEBUG.
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,
        partitioner=KafkaPartitioner(),
        **PRODUCER_SAFETY,
        **kwargs,
    )


async def undecoded(message: Any) -> Any:
    """FastStream's decoder, replaced: the raw values, not parsed.

    FastStream would JSON-decode every record of a batch to offer it as the handler's
    argument; our handlers take the raw records (``raw_records``) and validate them once
    themselves, so that decoding was pure waste: a second parse of every event.
    """
    return message.body


def subscriber_options(settings: ServiceSettings, group_suffix: str = "") -> dict[str, Any]:
    """Options for a service's subscriber: its own group, batches, commit after work.

    A service with two subscribers on different topics gives the second a ``group_suffix``:
    one group per subscription keeps partition assignment simple and correct.
    """
    return {
        "group_id": settings.consumer_group + group_suffix,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        "batch": True,
        "decoder": undecoded,
        "max_records": settings.kafka_batch_size,
        "batch_timeout_ms": settings.kafka_batch_timeout_ms,
        "max_poll_interval_ms": 300_000,
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": max(settings.kafka_session_timeout_ms // 3, 500),
    }


def client_security_kwargs(settings: ServiceSettings) -> dict[str, Any]:
    """The same security for raw aiokafka clients (the outbox relay, tools)."""
    protocol = settings.kafka_security_protocol
    kwargs: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        kwargs["ssl_context"] = _ssl_context(settings)
    if protocol.startswith("SASL"):
        kwargs.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password,
        )
    return kwargs


def make_producer(settings: ServiceSettings, **kwargs: Any) -> AIOKafkaProducer:
    """A raw idempotent producer (acks=all) for the outbox relay."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_list(settings),
        "client_id": f"carers-{settings.service_name}-relay",
        "linger_ms": 2,
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 30_000,
        "partitioner": KafkaPartitioner(),
        **PRODUCER_SAFETY,
        **client_security_kwargs(settings),
    }
    options.update(kwargs)
    return AIOKafkaProducer(**options)
