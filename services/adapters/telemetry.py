"""OpenTelemetry for every service: traces through Kafka headers, metrics on Prometheus.

Set up once by an entrypoint (`setup_telemetry`), never by the domain. Trace context travels in
Kafka headers as W3C `traceparent`/`tracestate`, so one event's path from the ingest API through
the router to its case row is one trace. Span attributes follow the messaging semantic
conventions but never carry a message key or any value of an event: keys are pseudonyms of
people, and traces leave the system for collectors and UIs.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

from services.adapters.settings import TelemetrySettings

log = logging.getLogger(__name__)
TRACE_HEADERS = ("traceparent", "tracestate")

LATENCY_BUCKETS_MS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)


@dataclass(frozen=True, slots=True)
class Telemetry:
    """What a service records with: a tracer, a meter, and whether spans are recorded at all."""

    tracer: trace.Tracer
    meter: metrics.Meter
    tracing: bool


def _exporter(settings: TelemetrySettings) -> SpanExporter | None:
    if settings.exporter == "console":
        return ConsoleSpanExporter()
    if settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint.rstrip('/')}/v1/traces")
    return None


def setup_telemetry(
    settings: TelemetrySettings,
    service: str,
    *,
    processors: Sequence[SpanProcessor] = (),
    prometheus: bool = True,
    metric_readers: Sequence[Any] = (),
) -> Telemetry:
    """Install tracer and meter providers for this process; tests pass in-memory processors."""
    resource = Resource.create(
        {"service.name": f"mixflow-{service}", "service.namespace": settings.service_namespace}
    )
    exporter = _exporter(settings)
    tracing = exporter is not None or bool(processors)
    provider = TracerProvider(resource=resource)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    for processor in processors:
        provider.add_span_processor(processor)
    # The process-wide providers are set once (later calls keep the first, as OpenTelemetry
    # requires); the tracer and meter handed back come from this call's own providers, so a
    # test with in-memory exporters sees its spans whatever ran before it in the process.
    trace.set_tracer_provider(provider)
    readers: list[Any] = list(metric_readers)
    if prometheus:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        readers.append(PrometheusMetricReader())
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    metrics.set_meter_provider(meter_provider)
    return Telemetry(
        tracer=provider.get_tracer(f"mixflow.{service}"),
        meter=meter_provider.get_meter(f"mixflow.{service}"),
        tracing=tracing,
    )


def context_from_headers(headers: Iterable[tuple[str, bytes]]) -> Context:
    """The trace context a Kafka record carries (an empty context when it carries none)."""
    carrier = {k: v.decode("latin-1") for k, v in headers if k in TRACE_HEADERS}
    return extract(carrier) if carrier else otel_context.get_current()


def headers_for(ctx: Context | None = None) -> tuple[tuple[str, bytes], ...]:
    """W3C trace headers for the current (or given) span, ready for a Kafka record."""
    carrier: dict[str, str] = {}
    inject(carrier, context=ctx)
    return tuple((k, v.encode("latin-1")) for k, v in carrier.items() if k in TRACE_HEADERS)


def messaging_attributes(topic: str, partition: int, offset: int, group: str) -> dict[str, Any]:
    """Messaging semantic-convention attributes of a consumed record; never its key."""
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
        "messaging.destination.partition.id": str(partition),
        "messaging.kafka.offset": offset,
        "messaging.consumer.group.name": group,
    }


def serve_metrics(port: int) -> None:
    """Expose this process's metrics for Prometheus on 127.0.0.1:`port` (workers have no API)."""
    from prometheus_client import start_http_server

    start_http_server(port, addr="127.0.0.1")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, with the current trace and span ids for correlation.

    Messages are the code's own; nothing here adds event values, keys or secrets to them.
    """

    def format(self, record: logging.LogRecord) -> str:
        import orjson

        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = f"{span.trace_id:032x}"
            entry["span_id"] = f"{span.span_id:016x}"
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        return orjson.dumps(entry).decode()


def json_log_handler() -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter())
    return handler


def setup_logging(level: str) -> logging.Handler:
    """Structured JSON logs on stderr for this process; returns the handler for Faust's worker."""
    handler = json_log_handler()
    # On the handler too: Faust's worker re-configures the root logger when it starts.
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return handler
