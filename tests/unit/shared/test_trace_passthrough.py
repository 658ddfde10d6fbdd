"""With no span exporter, trace context passes through unrecorded (cheaply) but is not lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import telemetry
from shared.events.envelope import check_traceparent

PARTNER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def not_recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(telemetry, "_recording", False)
    yield


def test_a_partners_trace_passes_through_unchanged(not_recording: None) -> None:
    with telemetry.continued_span("registry.identify_carer", PARTNER):
        assert telemetry.current_traceparent() == PARTNER
    assert telemetry.current_traceparent() is None  # and ends with the span


def test_an_event_without_a_trace_starts_one_for_correlation(not_recording: None) -> None:
    with telemetry.continued_span("registry.identify_carer", None):
        started = telemetry.current_traceparent()
        with telemetry.continued_span("inner", None):
            inner = telemetry.current_traceparent()
    assert started is not None and check_traceparent(started) == started
    assert started.endswith("-00")  # not sampled: nobody records it
    assert inner != started


def test_logs_carry_the_passed_through_trace_id(not_recording: None) -> None:
    import logging

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    with telemetry.continued_span("registry.identify_carer", PARTNER):
        line = telemetry.JsonLogFormatter().format(record)
    assert '"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"' in line
