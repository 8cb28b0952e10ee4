"""What a batch loop records: per-record consumer spans, counters, latency and lag.

Metrics are cheap and always on. Spans are made only when tracing is configured: one CONSUMER
span per record, child of the trace context the record carries, ended once everything the batch
produced is acknowledged. An outgoing record that carried its source's `traceparent` gets the
source's span instead, so the next service's span is a child of this one and one event's path
through ingest, router and casework is one trace.
"""

import math
import time
from collections.abc import Sequence
from typing import Any, TypeAlias

import orjson
from aiokafka import ConsumerRecord
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from schemas.topics import EVENTS_DEADLETTER
from services.adapters.batch_stream import Outgoing
from services.adapters.telemetry import (
    LATENCY_BUCKETS_MS,
    TRACE_HEADERS,
    Telemetry,
    context_from_headers,
    headers_for,
    messaging_attributes,
)

Record: TypeAlias = ConsumerRecord[bytes, bytes]

AGE_SAMPLES = 64
"""Records of a batch whose age is recorded, spread evenly over it; smaller batches all count.

One histogram `record` costs the OpenTelemetry SDK 15-20 µs here (attribute set, lock, bucket
search), as much as routing an event: recorded for every record it was a sixth of the router's
time per event, and more for flows, which reads several case changes per event. Under load a
batch holds thousands of records of nearly the same age, so an even sample keeps the
distribution; at low rates batches are small and every record is still counted. The
`mixflow.records.consumed` counter counts every record."""


class LoopInstruments:
    def __init__(self, telemetry: Telemetry, service: str, group: str) -> None:
        meter = telemetry.meter
        self._telemetry = telemetry
        self._group = group
        self._attrs = {"service": service}
        self.consumed = meter.create_counter("mixflow.records.consumed", unit="{record}")
        self.produced = meter.create_counter("mixflow.records.produced", unit="{record}")
        self.batch_ms = meter.create_histogram(
            "mixflow.batch.duration",
            unit="ms",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS_MS,
        )
        self.age_ms = meter.create_histogram(
            "mixflow.record.age",
            unit="ms",
            description=(
                "from a record's publication to the end of its processing here"
                f" (at most {AGE_SAMPLES} records of a batch, spread evenly over it)"
            ),
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS_MS,
        )
        self.dead_letters = meter.create_counter(
            "mixflow.deadletters", unit="{record}", description="refused records by reason"
        )
        self._lag: dict[tuple[str, int], int] = {}
        meter.create_observable_gauge(
            "mixflow.consumer.lag", callbacks=[self._observe_lag], unit="{record}"
        )

    def _observe_lag(self, _options: Any) -> list[Any]:
        from opentelemetry.metrics import Observation

        return [
            Observation(lag, {**self._attrs, "topic": topic, "partition": str(partition)})
            for (topic, partition), lag in self._lag.items()
        ]

    def set_lag(self, topic: str, partition: int, lag: int) -> None:
        self._lag[(topic, partition)] = max(lag, 0)

    def start_spans(self, records: Sequence[Record]) -> list[Span] | None:
        if not self._telemetry.tracing:
            return None
        tracer = self._telemetry.tracer
        return [
            tracer.start_span(
                f"process {r.topic}",
                context=context_from_headers(r.headers),
                kind=SpanKind.CONSUMER,
                attributes=messaging_attributes(r.topic, r.partition, r.offset, self._group),
            )
            for r in records
        ]

    def link_outgoing(
        self, records: Sequence[Record], spans: list[Span] | None, outgoing: Sequence[Outgoing]
    ) -> Sequence[Outgoing]:
        """Give each outgoing record the span of the record it came from (matched by trace)."""
        if spans is None:
            return outgoing
        span_of = {}
        for record, span in zip(records, spans, strict=True):
            for name, value in record.headers:
                if name == "traceparent":
                    span_of[value] = span
        linked = []
        for item in outgoing:
            parent = next(
                (span_of[v] for n, v in item.headers if n == "traceparent" and v in span_of), None
            )
            if parent is None:
                linked.append(item)
                continue
            kept = tuple((n, v) for n, v in item.headers if n not in TRACE_HEADERS)
            context = trace.set_span_in_context(parent)
            linked.append(item._replace(headers=kept + headers_for(context)))
        return linked

    def finish(
        self,
        records: Sequence[Record],
        spans: list[Span] | None,
        outgoing: Sequence[Outgoing],
        started: float,
    ) -> None:
        now_ms = time.time() * 1000
        self.consumed.add(len(records), self._attrs)
        self.produced.add(len(outgoing), self._attrs)
        for item in outgoing:
            if item.topic.endswith(EVENTS_DEADLETTER):
                self._count_dead_letter(item.value)
        self.batch_ms.record((time.perf_counter() - started) * 1000, self._attrs)
        stride = max(1, math.ceil(len(records) / AGE_SAMPLES))
        for record in records[::stride]:
            if record.timestamp:
                self.age_ms.record(max(now_ms - record.timestamp, 0.0), self._attrs)
        for span in spans or ():
            span.end()

    def _count_dead_letter(self, value: bytes) -> None:
        # Only the problem kinds are read: the reason, never anything of the refused record.
        try:
            kinds = {problem["kind"] for problem in orjson.loads(value).get("problems", ())}
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
            kinds = {"unknown"}
        for kind in kinds:
            self.dead_letters.add(1, {**self._attrs, "reason": str(kind)})
