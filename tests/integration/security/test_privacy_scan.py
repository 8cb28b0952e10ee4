"""After a small full run, no output holds a direct identifier or an unsuppressed small cell.

Router, casework and flows run in-process on their own topics and a fresh database, with spans
going to an in-memory exporter; the stream includes events that carry identifiers (an e-mail, a
phone number, a passport number), which the router must refuse without keeping them. Then every
record of every output topic, the cases and flows API answers (JSON and CSV), the captured logs
and the spans are scanned with the contracts' own identifier classifiers (`schemas.identifiers`),
and every published aggregate count must be 0 or at least the suppression threshold.
"""

import asyncio
import copy
import csv
import io
import logging
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr
from sqlalchemy import func, select

from schemas.identifiers import identify
from schemas.topics import (
    ALERTS,
    CASES_CHANGES,
    DECISIONS,
    EVENTS_DEADLETTER,
    EVENTS_INBOUND,
    FLOWS_AGGREGATES,
)
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tables import ProcessedEventRow
from services.adapters.db.tokens import TokenStore
from services.adapters.settings import FlowsSettings, KafkaSettings, Settings, TelemetrySettings
from services.adapters.telemetry import setup_telemetry
from services.casework.api import create_api as cases_api
from services.casework.app import CaseworkService
from services.flows.api import create_api as flows_api
from services.flows.app import FlowsService
from services.router.app import RouterService
from services.stack.infrastructure import create_topics
from tests.integration.router.conftest import publish
from tests.reliability.pipeline import generated_events, read_topic, wait_until

EVENTS = 300
OUTPUTS = (DECISIONS, EVENTS_DEADLETTER, CASES_CHANGES, FLOWS_AGGREGATES, ALERTS)
LEAKS = {
    "data.contact": "amina.yusuf@example.org",
    "data.phone": "+393471234567",
    "data.passport": "YA1234567",
}


def with_identifier(event: dict[str, Any], where: str, value: str) -> dict[str, Any]:
    leaked = copy.deepcopy(event)
    leaked["id"] = str(uuid.uuid4())
    leaked["data"][where.split(".")[1]] = value
    return leaked


def strings(path: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(f"{path}.{key}" if path else str(key), item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(path, item)


def findings(where: str, document: Any) -> list[str]:
    found = [f"{where}: {p}: {identify(p, s)}" for p, s in strings("", document) if identify(p, s)]
    return found + [f"{where}: contains {v!r}" for v in LEAKS.values() if v in repr(document)]


def log_findings(messages: list[str]) -> list[str]:
    """Log lines are free text, where the personal-name rule does not apply (any two words
    would match): every word of mixflow's own lines is checked for the other kinds."""
    name = identify("x", "Amina Yusuf")
    return [
        f"log: {identify('log', word)}: {message[:120]}"
        for message in messages
        for word in message.split()
        if identify("log", word.strip(",.;()[]'\"")) not in (None, name)
    ]


class Services:
    """Router, casework and flows on one event loop in a thread; `stop()` ends all three."""

    def __init__(self, settings: Settings, telemetry: Any) -> None:
        engine = create_engine_for(str(settings.database_url))
        self.engine = engine
        self.all = [
            RouterService(settings, telemetry=telemetry),
            CaseworkService(settings, engine=engine, telemetry=telemetry),
            FlowsService(settings, engine=engine, telemetry=telemetry),
        ]
        self._loop = asyncio.new_event_loop()

        async def main() -> None:
            await asyncio.gather(*(s.run() for s in self.all))

        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(main(),))
        self._thread.start()

    def stop(self) -> None:
        for service in self.all:
            self._loop.call_soon_threadsafe(service.stop)
        self._thread.join(timeout=60)


@pytest.fixture
def run(kafka_broker: str, pg_url: str, tmp_path: Any) -> Iterator[tuple[Settings, Services, Any]]:
    migrate(pg_url)
    kafka = KafkaSettings(
        bootstrap=kafka_broker, partitions=2, topic_prefix=f"priv{uuid.uuid4().hex[:8]}."
    )
    flows = FlowsSettings(publish_interval_s=0.5, flush_interval_s=0.3, batch_within_s=0.1)
    settings = Settings(
        kafka=kafka,
        database_url=pg_url,
        state_dir=tmp_path,
        flows=flows,
        token_pepper=SecretStr("pepper-of-the-privacy-scan"),
    )
    create_topics(settings)
    exporter = InMemorySpanExporter()
    telemetry = setup_telemetry(
        TelemetrySettings(), "privacy", processors=[SimpleSpanProcessor(exporter)], prometheus=False
    )
    services = Services(settings, telemetry)
    yield settings, services, exporter
    services.stop()
    services.engine.dispose()


def test_no_output_holds_a_direct_identifier_or_a_small_cell(
    run: tuple[Settings, Services, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings, services, exporter = run
    events = generated_events(EVENTS, seed=23)
    leaked = [with_identifier(events[n], w, v) for n, (w, v) in enumerate(LEAKS.items())]
    bootstrap = settings.kafka.bootstrap
    inbound = f"{settings.kafka.topic_prefix}{EVENTS_INBOUND}"
    publish(bootstrap, inbound, events + leaked)

    def processed() -> int:
        with services.engine.connect() as connection:
            table = ProcessedEventRow.__table__  # type: ignore[attr-defined]
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())

    wait_until(lambda: processed() >= EVENTS - 10, 120, "the events in cases")
    wait_until(lambda: bool(topic(settings, FLOWS_AGGREGATES)), 60, "aggregates published")

    problems: list[str] = []
    letters = [
        orjson.loads(r.value) for r in read_topic(bootstrap, topic_of(settings, EVENTS_DEADLETTER))
    ]
    assert sum(1 for letter in letters if letter.get("withheld") == "direct_identifier") >= len(
        LEAKS
    ), letters
    k = settings.privacy.suppression_threshold
    scanned = 0
    for canonical in OUTPUTS:
        for record in read_topic(bootstrap, topic_of(settings, canonical)):
            document = orjson.loads(record.value)
            problems += findings(canonical, document)
            problems += [
                f"{canonical}: key {record.key!r}"
                for v in LEAKS.values()
                if record.key and v.encode() in record.key
            ]
            count = document.get("count") if canonical == FLOWS_AGGREGATES else None
            if count is not None and 0 < count < k:
                problems.append(f"{canonical}: small cell {document}")
            scanned += 1
    assert scanned > EVENTS

    for path, answer in api_answers(settings, services):
        problems += findings(path, answer)
    for row in csv_rows(settings, services):
        problems += findings("flows csv", row)
        counts = [int(c) for c in row if c.isdigit()]
        problems += [f"flows csv: small cell {row}" for c in counts if 0 < c < k and row[-1] != "1"]
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("services", "schemas"))]
    problems += log_findings(ours)
    problems += [f"a log holds {v!r}" for v in LEAKS.values() if v in caplog.text]
    spans = exporter.get_finished_spans()
    assert spans, "no span was recorded"
    for span in spans:
        attributes = dict(span.attributes or {})
        attributes |= {e.name: dict(e.attributes or {}) for e in span.events}
        problems += findings(f"span {span.name}", {k: v for k, v in attributes.items()})
    assert not problems, problems[:20]


def topic_of(settings: Settings, canonical: str) -> str:
    return f"{settings.kafka.topic_prefix}{canonical}"


def topic(settings: Settings, canonical: str) -> list[Any]:
    return read_topic(settings.kafka.bootstrap, topic_of(settings, canonical), idle_s=1.0)


def _tokens(settings: Settings, services: Services) -> dict[str, str]:
    store = TokenStore(services.engine, settings.token_pepper.get_secret_value().encode())
    now = datetime.now(UTC)
    return {
        role: store.create("MIXFLOW", role, now=now).token  # type: ignore[arg-type]
        for role in ("admin", "monitor")
    }


def api_answers(settings: Settings, services: Services) -> Iterator[tuple[str, Any]]:
    tokens = _tokens(settings, services)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    monitor = {"Authorization": f"Bearer {tokens['monitor']}"}
    with TestClient(cases_api(settings, engine=services.engine)) as cases:
        listed = cases.get("/v1/cases", params={"limit": 100}, headers=admin).json()
        yield "/v1/cases", listed
        yield "/v1/referrals", cases.get("/v1/referrals", headers=admin).json()
        for item in listed["items"][:20]:
            path = f"/v1/cases/{item['case_id']}"
            yield path, cases.get(path, headers=admin).json()
    with TestClient(flows_api(settings, engine=services.engine)) as flows:
        for measure in ("arrivals", "referrals"):
            for group_by in (["nationality"], ["sex", "age_band"], ["window"]):
                params: dict[str, Any] = {"measure": measure, "group_by": group_by}
                yield (
                    "/flows/table",
                    flows.get("/flows/table", params=params, headers=monitor).json(),
                )
        yield "/flows/indicators", flows.get("/flows/indicators", headers=monitor).json()


def csv_rows(settings: Settings, services: Services) -> list[list[str]]:
    tokens = _tokens(settings, services)
    with TestClient(flows_api(settings, engine=services.engine)) as flows:
        text = flows.get(
            "/flows/table",
            params={"measure": "arrivals", "group_by": ["nationality", "sex"], "format": "csv"},
            headers={"Authorization": f"Bearer {tokens['monitor']}"},
        ).text
    return list(csv.reader(io.StringIO(text)))[2:]  # after the header and the HXL hashtags
