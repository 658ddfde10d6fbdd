"""Denied Kafka operations (shared/messaging/authorisation.py): one log line per denial, a
back-off that grows, healing by success or by silence, and third-party repeats counted."""

from __future__ import annotations

import logging

import pytest
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from shared.messaging.authorisation import KafkaDenials, denied_resources

LOGGER = "shared.messaging.authorisation"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_resources_an_error_names_are_read_from_its_arguments() -> None:
    assert denied_resources(TopicAuthorizationFailedError("a.v1")) == [("topic", "a.v1")]
    assert denied_resources(TopicAuthorizationFailedError({"b.v1", "a.v1"})) == [
        ("topic", "a.v1"),
        ("topic", "b.v1"),
    ]
    assert denied_resources(GroupAuthorizationFailedError("g")) == [("group", "g")]
    assert denied_resources(KafkaConnectionError("down")) is None
    assert denied_resources(ValueError("x")) is None


def test_a_denial_is_logged_once_however_often_it_repeats(
    caplog: pytest.LogCaptureFixture,
) -> None:
    denials = KafkaDenials("carers-registry")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(50):
            assert denials.notice(TopicAuthorizationFailedError("carers.registry.v1"), "write")
        assert not denials.notice(KafkaConnectionError("down"), "write")
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(lines) == 1
    assert "write on topic carers.registry.v1 to principal carers-registry" in lines[0]
    [shown] = denials.current()
    assert shown["topic"] == "carers.registry.v1" and shown["operation"] == "write"
    assert shown["count"] == 50 and shown["principal"] == "carers-registry"


def test_the_retry_delay_doubles_per_repeat_up_to_the_cap_and_other_errors_keep_theirs() -> None:
    denials = KafkaDenials(backoff_cap=10)
    error = TopicAuthorizationFailedError("t")
    delays = []
    for _ in range(6):
        denials.notice(error, "write")
        delays.append(denials.retry_delay(error))
    assert delays == [1, 2, 4, 8, 10, 10]
    assert denials.retry_delay(KafkaConnectionError("down")) == 1.0


def test_success_ends_a_denial_and_silence_ends_one_too(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    denials = KafkaDenials("p", forget_after=30, clock=clock)
    denials.record("topic", "written", "write")
    denials.record("topic", "read", "read")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        denials.allowed("topic", ["written", "other"], "write")
        assert [d["topic"] for d in denials.current()] == ["read"]
        clock.now += 29
        assert denials.current()  # still failing lately
        clock.now += 2
        assert denials.current() == [] and not denials
    ended = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [m.split(" on ")[0] for m in ended] == [
        "Kafka now allows write",
        "Kafka no longer denies read",
    ]


def test_a_denial_that_recurs_after_healing_is_logged_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    denials = KafkaDenials("p")
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        denials.record("topic", "t", "write")
        denials.allowed("topic", ["t"], "write")
        denials.record("topic", "t", "write")
    assert sum("Kafka denies" in r.getMessage() for r in caplog.records) == 2


def test_third_party_repeats_are_counted_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    denials = KafkaDenials("carers-registry")
    undo = denials.quieten()
    fetcher = logging.getLogger("aiokafka.consumer.fetcher")
    faststream = logging.getLogger("faststream")
    try:
        with caplog.at_level(logging.INFO):
            for _ in range(5):
                fetcher.warning("Not authorized to read from topic %s.", "carers.referrals.v1")
                try:
                    raise TopicAuthorizationFailedError("carers.referrals.v1")
                except TopicAuthorizationFailedError:
                    faststream.exception("Kafka error occurred")
            faststream.warning("Failed to create topic x: [Error 29] TopicAuthorizationFailedError")
            faststream.error("something else")
    finally:
        undo()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "Kafka denies read on topic carers.referrals.v1 to principal carers-registry; retrying"
        " with back-off, nothing is lost meanwhile: grant the ACL and it heals without a restart",
        "something else",
    ]
    assert denials.current()[0]["count"] == 10
    fetcher.warning("Not authorized to read from topic %s.", "after")  # filter removed
    assert not any(d["topic"] == "after" for d in denials.current())
