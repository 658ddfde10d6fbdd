"""Topic set-up and broker checks over kafka-python's admin client.

Why kafka-python here and aiokafka elsewhere: set-up scripts, test fixtures and operator
commands are synchronous, and kafka-python 3.x has the full admin API (create topics, alter
configs, group offsets) that aiokafka lacks. Topic names and settings come only from
``shared.topics.TOPICS`` so every environment gets the same topics.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from shared.topics import TOPICS, TopicSpec

log = logging.getLogger(__name__)

# kafka-python logs every refused connection at ERROR while a broker is starting; our own
# messages say what matters. Only quiet it when the application has not chosen a level.
_KAFKA_LOG = logging.getLogger("kafka")
if _KAFKA_LOG.level == logging.NOTSET:
    _KAFKA_LOG.setLevel(logging.WARNING)


@dataclass(frozen=True)
class TopicInfo:
    """What a topic looks like on the broker: partition count and non-default configs."""

    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def _silenced_kafka_logs() -> Iterator[None]:
    """Hide kafka-python's connection errors while we expect them (broker starting)."""
    previous = _KAFKA_LOG.level
    _KAFKA_LOG.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        _KAFKA_LOG.setLevel(previous)


def _stop_half_built(client: KafkaAdminClient) -> None:
    """Stop the IO thread of an admin client whose constructor failed.

    kafka-python starts its network thread before bootstrapping, so a failed bootstrap
    would otherwise leave one thread behind per polling attempt.
    """
    for name in ("_client", "_net"):
        part = getattr(client, name, None)
        stop = getattr(part, "close" if name == "_client" else "stop", None)
        if callable(stop):
            with contextlib.suppress(Exception):
                stop()


class _Admin(KafkaAdminClient):  # type: ignore[misc]
    """KafkaAdminClient that cleans up after itself when it cannot bootstrap."""

    def __init__(self, **configs: Any) -> None:
        try:
            super().__init__(**configs)
        except Exception:
            _stop_half_built(self)
            raise


@contextlib.contextmanager
def admin_client(
    bootstrap_servers: str, timeout_s: float = 30.0, **security: Any
) -> Iterator[KafkaAdminClient]:
    """An admin client that is always closed, with timeouts short enough for scripts.

    ``security``: kafka-python options (security_protocol, sasl_*, ssl_cafile) for a secured
    cluster (``shared.kafka.cluster``); none on the local unauthenticated broker.
    """
    timeout_ms = max(int(timeout_s * 1000), 1000)
    client = _Admin(
        bootstrap_servers=bootstrap_servers,
        client_id="carers-connect-admin",
        request_timeout_ms=timeout_ms,
        bootstrap_timeout_ms=timeout_ms,
        **security,
    )
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()


def _port_open(bootstrap_servers: str) -> bool:
    """Cheap TCP probe so we only build an admin client once something listens."""
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        with (
            contextlib.suppress(OSError, ValueError),
            socket.create_connection((host or "127.0.0.1", int(port)), timeout=1.0),
        ):
            return True
    return False


def wait_for_broker(bootstrap_servers: str, timeout: float = 60.0, **security: Any) -> list[str]:
    """Poll until the broker answers a metadata request; return its topic names.

    A listening socket is not enough: a KRaft broker accepts connections before it has
    caught up with the metadata log, so readiness is "an admin client can list topics".
    Raises TimeoutError with the last error seen.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(
                f"Kafka at {bootstrap_servers} did not answer within {timeout:.0f}s "
                f"(last error: {last_error!r})"
            )
        if _port_open(bootstrap_servers):
            try:
                with (
                    _silenced_kafka_logs(),
                    admin_client(
                        bootstrap_servers, timeout_s=min(5.0, max(remaining, 1.0)), **security
                    ) as admin,
                ):
                    return list(admin.list_topics())
            except Exception as exc:
                last_error = exc
        time.sleep(0.2)


def _topic_configs(admin: KafkaAdminClient, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Non-default (topic-level) configs of each topic, as plain strings."""
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    if not resources:
        return {}
    described = admin.describe_configs(resources).get("topic", {})
    return {
        name: {key: str(entry.get("value")) for key, entry in configs.items()}
        for name, configs in described.items()
    }


def describe_topics(
    bootstrap_servers: str, names: Iterable[str] | None = None, **security: Any
) -> dict[str, TopicInfo]:
    """Partition counts and topic-level configs, for checks, tests and operators.

    ``names`` None means every non-internal topic. Missing topics are left out.
    """
    with admin_client(bootstrap_servers, **security) as admin:
        wanted = list(names) if names is not None else None
        topics = admin.describe_topics(wanted)
        found = {
            t["name"]: len(t.get("partitions") or [])
            for t in topics
            if t.get("error_code", 0) == 0 and not t.get("is_internal", False)
        }
        configs = _topic_configs(admin, found)
    return {
        name: TopicInfo(name, count, configs.get(name, {})) for name, count in sorted(found.items())
    }


def ensure_topics(
    bootstrap_servers: str,
    specs: Iterable[TopicSpec] = TOPICS,
    replication_factor: int = 1,
    **security: Any,
) -> list[str]:
    """Create the missing topics and bring existing ones' configs in line; idempotent.

    Returns the names of topics created by this call (empty when all existed). Configs such
    as ``cleanup.policy=compact`` are re-applied with an incremental alter, so a topic
    created by hand (or auto-created by mistake) still gets the contract's settings. A topic
    with fewer partitions than the spec is only warned about: adding partitions silently
    would move keys to new partitions and break per-carer ordering.
    """
    wanted = list(specs)
    with admin_client(bootstrap_servers, **security) as admin:
        existing = set(admin.list_topics())
        missing = {
            s.name: {
                "num_partitions": s.partitions,
                "replication_factor": replication_factor,
                "configs": dict(s.config),
            }
            for s in wanted
            if s.name not in existing
        }
        created: list[str] = []
        if missing:
            result = admin.create_topics(missing, raise_errors=False)
            for topic in result.get("topics", []):
                code = topic.get("error_code", 0)
                if code == 0:
                    created.append(topic["name"])
                elif code != 36:  # 36 = TOPIC_ALREADY_EXISTS: another process won the race
                    raise RuntimeError(
                        f"creating {topic['name']} failed: error {code} "
                        f"{topic.get('error_message') or ''}".strip()
                    )
            admin.wait_for_topics(list(missing), timeout_ms=30_000)
        _reconcile_existing(admin, [s for s in wanted if s.name not in created])
    if created:
        log.info("created topics: %s", ", ".join(created))
    return created


def _reconcile_existing(admin: KafkaAdminClient, specs: list[TopicSpec]) -> None:
    """Apply spec configs that differ on existing topics; warn on too few partitions."""
    if not specs:
        return
    current = _topic_configs(admin, [s.name for s in specs])
    counts = {
        t["name"]: len(t.get("partitions") or [])
        for t in admin.describe_topics([s.name for s in specs])
    }
    changes = []
    for spec in specs:
        have = current.get(spec.name, {})
        diff = {k: v for k, v in spec.config.items() if have.get(k) != v}
        if diff:
            changes.append(ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=diff))
        if counts.get(spec.name, spec.partitions) < spec.partitions:
            log.warning(
                "topic %s has %d partitions, contract says %d; not changing it automatically",
                spec.name,
                counts[spec.name],
                spec.partitions,
            )
    if changes:
        result = admin.alter_configs(changes, incremental=True)
        failed = {n: r for n, r in result.get("topic", {}).items() if r != "OK"}
        if failed:
            raise RuntimeError(f"could not apply topic configs: {failed}")
        log.info("updated configs of: %s", ", ".join(c.name for c in changes))


def _committed_offsets(admin: KafkaAdminClient, group_id: str, timeout: float) -> dict[Any, Any]:
    """Committed offsets of a group, retrying while the group coordinator is loading.

    The first group lookup on a fresh broker creates __consumer_offsets, so
    COORDINATOR_NOT_AVAILABLE for a second or two is normal, not an error.
    """
    # kafka-python 3.x renamed list_consumer_group_offsets to list_group_offsets.
    old_api = getattr(admin, "list_consumer_group_offsets", None)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if old_api is not None:
                return dict(old_api(group_id))
            return dict(admin.list_group_offsets({group_id: None}).get(group_id, {}))
        except Exception as exc:
            if not getattr(exc, "retriable", False) or time.monotonic() >= deadline:
                raise
            time.sleep(0.3)


def consumer_lag(
    bootstrap_servers: str, group_id: str, timeout: float = 30.0
) -> dict[tuple[str, int], int]:
    """Messages each partition of a group still has to read (end offset minus committed).

    Partitions the group never committed count from the log start, as a new member with
    auto_offset_reset=earliest would read them.
    """
    with admin_client(bootstrap_servers) as admin:
        committed = _committed_offsets(admin, group_id, timeout)
    if not committed:
        return {}
    partitions = [TopicPartition(tp.topic, tp.partition) for tp in committed]
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False
    )
    try:
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
    finally:
        consumer.close()
    lag: dict[tuple[str, int], int] = {}
    for tp, meta in committed.items():
        key = TopicPartition(tp.topic, tp.partition)
        done = meta.offset if meta.offset >= 0 else starts.get(key, 0)
        lag[(tp.topic, tp.partition)] = max(ends.get(key, 0) - done, 0)
    return lag
