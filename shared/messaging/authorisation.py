"""Kafka operations the brokers deny: noticed once, shown on ``/health``, retried until allowed.

Why: on a secured cluster (production, and ``scripts/kafka cluster`` here) a principal whose
ACL lacks a topic gets an authorisation error on every attempt. Observed on the local secured
cluster before this module existed:

- the outbox relay logged a full traceback every second, for as long as the ACL was missing;
- FastStream's consumer loop logged "Kafka error occurred" with a traceback every 5 s, and
  aiokafka's fetcher a warning on every fetch;
- a consumer group the principal may not use made ``broker.start()`` raise, so the service
  exited at start-up; under Kubernetes it would be restarted for ever (a restart cannot
  grant an ACL: a crash loop);
- ``/health`` said "ok" throughout.

Now every such failure is recorded here as a :class:`Denial` (resource, name, operation,
principal, first seen, count). The first time a (resource, name, operation) is denied one line
is logged, naming it; repeats are counted, not logged. The failing part keeps retrying with
back-off, so granting the ACL heals it without a restart, and nothing is lost meanwhile (the
relay keeps its rows, consumers keep their committed offsets). ``/health`` lists what is denied
under ``kafka_denied`` with ``"status": "degraded"`` and HTTP 200: a 503 would make the
liveness probe restart the pod, the very crash loop this avoids, and readiness would take the
HTTP API out of service although it still accepts work (held in the outbox).

A denial is over when the operation succeeds (the relay says so after publishing) or when it
has not failed again for ``forget_after`` seconds (a consumer whose fetches stopped failing);
both are logged once too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)

log = logging.getLogger(__name__)

# Third-party loggers that report a denial on every retry; their repeats are ours to count.
NOISY_LOGGERS = (
    "faststream",  # the consumer loop: "Kafka error occurred" + traceback, every 5 s
    "aiokafka.consumer.fetcher",  # "Not authorized to read from topic %s." on every fetch
    "aiokafka.consumer.group_coordinator",  # offset commits for unauthorised topics
)
_FETCH_DENIED = "Not authorized to read from topic"
# FastStream tries to create a subscriber's topics at every start; no service principal may
# (topics come from the operator: scripts/kafka cluster, Strimzi KafkaTopic), so on a secured
# cluster that refusal is expected and is not a denial of anything the service needs.
_CREATE_REFUSED = "Failed to create topic"


@dataclass
class Denial:
    """One operation on one resource that the brokers refused this principal."""

    resource: str  # "topic" | "group" | "cluster" | "transactional_id"
    name: str
    operation: str  # "write" | "read" | "describe" ...
    principal: str | None
    first_seen: datetime
    last_seen: float  # monotonic
    count: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            self.resource: self.name,
            "operation": self.operation,
            "principal": self.principal,
            "first_seen": self.first_seen.isoformat(timespec="seconds"),
            "count": self.count,
        }


def denied_resources(error: BaseException) -> list[tuple[str, str]] | None:
    """(resource, name) pairs an authorisation error names; None for any other error.

    aiokafka puts one topic name, or a set of them, or the group id in the error's args.
    """
    if isinstance(error, TopicAuthorizationFailedError):
        resource = "topic"
    elif isinstance(error, GroupAuthorizationFailedError):
        resource = "group"
    elif isinstance(error, TransactionalIdAuthorizationFailed):
        resource = "transactional_id"
    elif isinstance(error, ClusterAuthorizationFailedError):
        return [("cluster", "kafka-cluster")]
    else:
        return None
    named = error.args[0] if error.args else None
    names = [named] if isinstance(named, str) else sorted(map(str, named or ()))
    return [(resource, name) for name in names] or [(resource, "unknown")]


class KafkaDenials:
    """What this process is denied now. One per service process (``ServiceRuntime.denials``)."""

    def __init__(
        self,
        principal: str | None = None,
        *,
        forget_after: float = 30.0,
        backoff_cap: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.principal = principal
        self._forget_after = forget_after
        self._backoff_cap = backoff_cap
        self._clock = clock
        self._denials: dict[tuple[str, str, str], Denial] = {}

    def __bool__(self) -> bool:
        """Whether anything is (or was lately) denied: a cheap check for the hot path."""
        return bool(self._denials)

    def record(self, resource: str, name: str, operation: str) -> Denial:
        """Count one denial; the first of its kind is logged, naming what and to whom."""
        now = self._clock()
        key = (resource, name, operation)
        denial = self._denials.get(key)
        if denial is not None:
            denial.count += 1
            denial.last_seen = now
            return denial
        denial = Denial(resource, name, operation, self.principal, datetime.now(UTC), now)
        self._denials[key] = denial
        log.error(
            "Kafka denies %s on %s %s to principal %s; retrying with back-off, nothing is "
            "lost meanwhile: grant the ACL and it heals without a restart",
            operation,
            resource,
            name,
            self.principal or "(none)",
            extra={"kafka_denied": denial.as_json()},
        )
        return denial

    def notice(self, error: BaseException, operation: str) -> bool:
        """Record ``error`` if it is an authorisation error (True), else leave it (False)."""
        resources = denied_resources(error)
        if resources is None:
            return False
        for resource, name in resources:
            self.record(resource, name, operation)
        return True

    def allowed(self, resource: str, names: Iterable[str], operation: str) -> None:
        """The operation succeeded on these names: any denial of it is over."""
        for name in names:
            self._end((resource, name, operation), "now allows")

    def current(self) -> list[dict[str, Any]]:
        """The denials still in force, oldest first, as ``/health`` shows them."""
        cutoff = self._clock() - self._forget_after
        for key, denial in list(self._denials.items()):
            if denial.last_seen < cutoff:
                self._end(key, "no longer denies")
        return [d.as_json() for d in sorted(self._denials.values(), key=lambda d: d.first_seen)]

    def retry_delay(self, error: BaseException, default: float = 1.0) -> float:
        """Seconds to wait before retrying after ``error``: doubling per repeated denial
        (1, 2, 4 ... up to ``backoff_cap``), ``default`` for any other error."""
        resources = denied_resources(error)
        if not resources:
            return default
        repeats = max(
            (d.count for (r, n, _), d in self._denials.items() if (r, n) in resources),
            default=1,
        )
        return float(min(self._backoff_cap, 2 ** min(repeats - 1, 16)))

    def _end(self, key: tuple[str, str, str], how: str) -> None:
        denial = self._denials.pop(key, None)
        if denial is not None:
            log.warning(
                "Kafka %s %s on %s %s to principal %s (denied %d times since %s)",
                how,
                denial.operation,
                denial.resource,
                denial.name,
                denial.principal or "(none)",
                denial.count,
                denial.first_seen.isoformat(timespec="seconds"),
            )

    # -- third-party clients that report denials only through their logs --------------------

    def quieten(self, logger_names: Iterable[str] = NOISY_LOGGERS) -> Callable[[], None]:
        """Count, instead of logging, the denials FastStream and aiokafka report on every
        retry (their consumer loops retry by themselves; the log is all they tell us).
        Returns a function that removes the filters again (at the runtime's stop)."""
        quiet = _CountDenials(self)
        loggers = [logging.getLogger(name) for name in logger_names]
        for logger in loggers:
            logger.addFilter(quiet)

        def undo() -> None:
            for logger in loggers:
                logger.removeFilter(quiet)

        return undo


class _CountDenials(logging.Filter):
    """Drops a log record that reports a denial, recording it (consumers: operation read)."""

    def __init__(self, denials: KafkaDenials) -> None:
        super().__init__()
        self._denials = denials

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and self._denials.notice(error, "read"):
            return False
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith(_FETCH_DENIED) and record.args:
            topic = record.args[0] if isinstance(record.args, tuple) else record.args
            self._denials.record("topic", str(topic), "read")
            return False
        return not (message.startswith(_CREATE_REFUSED) and "AuthorizationFailed" in message)
