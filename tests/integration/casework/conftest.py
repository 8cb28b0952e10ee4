"""A casework worker running in-process against the real broker and PostgreSQL, on its own topics.

The worker's clock is a `FixedClock` the test moves, so SLA deadlines pass on demand. Decisions
come from the case-core builders; referral updates are CloudEvents in either Kafka mode.
"""

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from sqlalchemy import Engine, func, select

from schemas.decisions import DecisionV1
from schemas.topics import ALERTS, CASES_CHANGES, DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES
from services.adapters.clock import FixedClock
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tables import CaseRow, ProcessedEventRow, ReferralRow
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import CaseworkSettings, KafkaSettings, Settings
from services.casework.app import CaseworkService
from tests.unit.cases.builders import T0

REPO = Path(__file__).resolve().parents[3]
CASEWORK_TOPICS = (DECISIONS, REFERRAL_UPDATES, CASES_CHANGES, ALERTS, EVENTS_DEADLETTER)


@dataclass
class Stack:
    """Settings, database and clock one test's workers share; workers come and go."""

    settings: Settings
    engine: Engine
    clock: FixedClock

    def topic(self, canonical: str) -> str:
        return topic_name(self.settings.kafka, canonical)


class RunningWorker:
    """A `CaseworkService` on its own event loop in a thread; `stop()` ends it cleanly."""

    def __init__(self, stack: Stack) -> None:
        self.service = CaseworkService(stack.settings, clock=stack.clock, engine=stack.engine)
        self._loop = asyncio.new_event_loop()
        task = self._loop.create_task(self.service.run())
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(task,))
        self._thread.start()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self.service.stop)
        self._thread.join(timeout=30)
        self._loop.close()


def make_settings(bootstrap: str, database_url: str, **casework: Any) -> Settings:
    kafka = KafkaSettings(
        bootstrap=bootstrap, partitions=2, topic_prefix=f"t{uuid.uuid4().hex[:8]}."
    )
    options = {"sla_interval_s": 0.2, "outbox_interval_s": 0.2} | casework
    return Settings(kafka=kafka, database_url=database_url, casework=CaseworkSettings(**options))


@pytest.fixture
def stack(kafka_broker: str, kafka_admin: KafkaAdminClient, pg_url: str) -> Iterator[Stack]:
    migrate(pg_url)
    settings = make_settings(kafka_broker, pg_url)
    topics = [topic_name(settings.kafka, t) for t in CASEWORK_TOPICS]
    ensure_topics(settings.kafka, [(name, False) for name in topics])
    engine = create_engine_for(pg_url)
    yield Stack(settings, engine, FixedClock(T0 + timedelta(hours=1)))
    engine.dispose()
    kafka_admin.delete_topics(topics)


@pytest.fixture
def worker(stack: Stack) -> Iterator[Callable[[], RunningWorker]]:
    """Starts workers on the stack; every one still running at the end is stopped."""
    started: list[RunningWorker] = []

    def start() -> RunningWorker:
        running = RunningWorker(stack)
        started.append(running)
        return running

    yield start
    for running in started:
        if running._thread.is_alive():
            running.stop()


def publish_decisions(bootstrap: str, topic: str, decisions: list[DecisionV1]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for d in decisions:
        producer.send(topic, key=d.person_ref.encode(), value=d.model_dump_json().encode())
    producer.flush()
    producer.close()


def update_event(
    event_id: str, referral_id: str, status: str, agency: str, *, reason: str | None = None
) -> dict[str, Any]:
    """A referral-update CloudEvent (structured mode) from `agency`."""
    data = {"referral_id": referral_id, "status": status, "by_agency": agency}
    if reason is not None:
        data["reason_code"] = reason
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": f"urn:mixflow:agency:{agency}",
        "type": "org.mixflow.referral-update.v1",
        "time": (T0 + timedelta(minutes=30)).isoformat(),
        "datacontenttype": "application/json",
        "agency": agency,
        "data": data,
    }


def publish_updates(
    bootstrap: str, topic: str, events: list[dict[str, Any]], *, binary: bool = False
) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for event in events:
        key = event["data"]["referral_id"].encode()
        if binary:
            headers = [(f"ce_{k}", str(v).encode()) for k, v in event.items() if k != "data"]
            headers = [(k if k != "ce_datacontenttype" else "content-type", v) for k, v in headers]
            producer.send(topic, key=key, value=orjson.dumps(event["data"]), headers=headers)
        else:
            producer.send(topic, key=key, value=orjson.dumps(event))
        producer.flush()  # one at a time: updates of one referral must arrive in order
    producer.close()


def read_topic(bootstrap: str, topic: str, *, idle_s: float = 3.0) -> list[Any]:
    """Every record of `topic` from the start, until none arrived for `idle_s`."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=int(idle_s * 1000),
        group_id=None,
    )
    records = list(consumer)
    consumer.close()
    return records


def wait_for(condition: Callable[[], bool], timeout_s: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or condition}")


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def counts(engine: Engine) -> tuple[int, int, int]:
    """Processed events, cases and referrals in the database."""
    return (
        count(engine, ProcessedEventRow.__table__),  # type: ignore[attr-defined]
        count(engine, CaseRow.__table__),  # type: ignore[attr-defined]
        count(engine, ReferralRow.__table__),  # type: ignore[attr-defined]
    )
