"""OpenTelemetry set-up and the trace context carried in the envelope's ``traceparent``.

The contract puts W3C trace context inside the CloudEvent itself (not only in Kafka
headers) so that a partner's trace survives any hop, including the outbox: the event is
written with the trace that caused it and the relay publishes it later, outside that span.
Span attributes carry event types and ids, never personal data.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Span

if TYPE_CHECKING:
    from shared.settings import ServiceSettings

_configured = False
_recording = True
"""False when spans are exported nowhere: trace context then passes through unrecorded."""
_passthrough: ContextVar[str | None] = ContextVar("carers_traceparent", default=None)


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans to a JSON-lines file: local runs and tests read whole traces."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._path.open("a", encoding="utf-8") as out:
            for span in spans:
                out.write(span.to_json(indent=None) + "\n")
        return SpanExportResult.SUCCESS


def setup_tracing(settings: ServiceSettings) -> TracerProvider:
    """Install the global tracer provider once per process, exporting as settings say.

    With no exporter (``OTEL_EXPORTER=none``, the default) spans would be built, timed and
    dropped, at tens of microseconds per event; instead the envelope's ``traceparent`` is
    passed through unchanged, so a partner's trace still continues through every hop.
    """
    global _configured, _recording
    current = trace.get_tracer_provider()
    if _configured and isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
    exporter: SpanExporter | None = None
    if settings.otel_exporter == "console":
        exporter = ConsoleSpanExporter(out=sys.stderr)
    elif settings.otel_exporter == "file":
        exporter = JsonLinesSpanExporter(settings.otel_file)
    elif settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.otel_exporter_otlp_endpoint)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    _recording = exporter is not None
    trace.set_tracer_provider(provider)
    _configured = True
    return provider


def current_traceparent() -> str | None:
    """The active span's context as a W3C ``traceparent`` string, if a span is recording."""
    if not _recording:
        return _passthrough.get()
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def _random_hex(size: int) -> str:
    return os.urandom(size).hex()


@contextmanager
def continued_span(name: str, traceparent: str | None, **attributes: str) -> Iterator[Span]:
    """A span that continues the trace named by an envelope's ``traceparent``."""
    if not _recording:
        # Nothing to continue: start a trace anyway (not sampled), so that logs and the
        # events this causes downstream still share one trace id to correlate by.
        token = _passthrough.set(traceparent or f"00-{_random_hex(16)}-{_random_hex(8)}-00")
        try:
            yield trace.INVALID_SPAN
        finally:
            _passthrough.reset(token)
        return
    context = propagate.extract({"traceparent": traceparent}) if traceparent else None
    tracer = trace.get_tracer("carers-connect")
    with tracer.start_as_current_span(name, context=context, attributes=attributes) as span:
        yield span


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line; callers log ids and types, never names or contact details."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
        elif passing := _passthrough.get():
            entry["trace_id"] = passing.split("-")[1]
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka", "sqlalchemy.engine", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
