"""One event sent over HTTP is one trace through ingest, router and casework; metrics move.

Everything runs in this process on one event loop against the real broker and PostgreSQL,
with an in-memory span exporter and metric reader in place of the OTLP and Prometheus ones.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import func, select
from sqlmodel import Session

from schemas.topics import EVENTS_INBOUND
from services.adapters.clock import SystemClock
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tables import ProcessedEventRow
from services.adapters.db.tokens import TokenStore
from services.adapters.kafka import topic_name
from services.adapters.settings import KafkaSettings, Settings, TelemetrySettings
from services.adapters.telemetry import setup_telemetry
from services.casework.app import CaseworkService
from services.domain.synthetic import PROFILES, generate
from services.ingest.app import create_app
from services.ingest.publisher import KafkaEventSink
from services.router.app import RouterService
from services.stack.infrastructure import create_topics

SPANS = InMemorySpanExporter()
METRICS = InMemoryMetricReader()


def _one_event() -> dict[str, Any]:
    start = datetime.now(UTC) - timedelta(days=30)
    event = next(generate(PROFILES["sea-mixed"], Random(5), start=start, count=1, per_day=100))
    return dict(event)


def _processed(url: str) -> int:
    engine = create_engine_for(url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(ProcessedEventRow)) or 0
    finally:
        engine.dispose()


def _counter_total(name: str) -> float:
    data = METRICS.get_metrics_data()
    total = 0.0
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    total += sum(point.value for point in metric.data.data_points)
    return total


@pytest.mark.timeout(240)
def test_one_event_over_http_is_one_trace_across_ingest_router_and_casework(
    kafka_broker: str, pg_url: str
) -> None:
    telemetry = setup_telemetry(
        TelemetrySettings(),
        "e2e-test",
        processors=[SimpleSpanProcessor(SPANS)],
        prometheus=False,
        metric_readers=[METRICS],
    )
    kafka = KafkaSettings(
        bootstrap=kafka_broker, partitions=1, topic_prefix=f"t{uuid.uuid4().hex[:8]}."
    )
    settings = Settings(kafka=kafka, database_url=pg_url)
    migrate(pg_url)
    create_topics(settings)
    engine = create_engine_for(pg_url)
    pepper = settings.token_pepper.get_secret_value().encode()
    token = TokenStore(engine, pepper).create("ITA-MOI", "publisher", now=SystemClock().now()).token
    event = _one_event()
    event["source"], event["agency"] = "urn:mixflow:agency:ITA-MOI", "ITA-MOI"

    async def scenario() -> int:
        router = RouterService(settings, telemetry=telemetry)
        casework = CaseworkService(settings, telemetry=telemetry)
        tasks = [asyncio.create_task(router.run()), asyncio.create_task(casework.run())]
        sink = KafkaEventSink(kafka, topic_name(kafka, EVENTS_INBOUND), timeout_s=10)
        app = create_app(settings, telemetry=telemetry, sink=sink)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
                response = await client.post(
                    "/v1/events",
                    content=orjson.dumps(event),
                    headers={
                        "authorization": f"Bearer {token}",
                        "content-type": "application/cloudevents+json",
                    },
                )
            for _ in range(300):
                if await asyncio.to_thread(_processed, pg_url) >= 1:
                    break
                await asyncio.sleep(0.2)
            return response.status_code
        finally:
            router.stop()
            casework.stop()
            await asyncio.wait(tasks, timeout=30)
            await sink.close()

    status = asyncio.run(scenario())
    engine.dispose()
    assert status == 202
    assert _processed(pg_url) == 1

    spans = SPANS.get_finished_spans()
    ingest = [s for s in spans if s.name == "POST /v1/events"]
    routed = [s for s in spans if s.name.endswith("mixflow.events.inbound")]
    persisted = [s for s in spans if s.name.endswith("mixflow.decisions")]
    assert ingest and routed and persisted, [s.name for s in spans]
    servers = [s.name for s in spans if s.kind == SpanKind.SERVER]
    assert servers == ["POST /v1/events"]  # one span per request, not one per instrumentation
    trace_ids = {s.context.trace_id for s in (*ingest, *routed, *persisted)}
    layout = [
        (
            s.name,
            s.attributes.get("http.response.status_code") if s.attributes else None,
            s.start_time,
            s.context.trace_id % 997,
        )
        for s in ingest
    ]
    assert len(trace_ids) == 1, layout
    by_id = {span.context.span_id: span for span in spans}

    def ancestors(span: Any) -> set[str]:
        names: set[str] = set()
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            names.add(span.name)
        return names

    assert "POST /v1/events" in ancestors(routed[0])
    assert {"POST /v1/events", routed[0].name} <= ancestors(persisted[0])
    for span in spans:  # pseudonymous keys and event values never become attributes
        assert event["subject"] not in orjson.dumps(dict(span.attributes or {})).decode()

    assert _counter_total("mixflow.records.consumed") >= 2
    assert _counter_total("mixflow.records.produced") >= 1
