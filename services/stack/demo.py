"""`mixflow demo`: stream generated events through the running stack and read back the result.

Events go to the inbound topic the way an agency's system would publish them; the summary is
read back from the system itself (the case store, the dead-letter and aggregate topics), not
from what was sent, so it shows what mixflow actually did with them.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import func, select
from sqlmodel import Session

from schemas.topics import EVENTS_DEADLETTER, EVENTS_INBOUND, FLOWS_AGGREGATES
from services.adapters.db.engine import create_engine_for
from services.adapters.db.tables import CaseRow, ProcessedEventRow, ReferralRow
from services.adapters.kafka import kafka_python_options, reliable_producer, topic_name
from services.adapters.settings import Settings
from services.domain.synthetic import PROFILES, generate

Progress = Callable[[int], None]


@dataclass
class DemoSummary:
    events_sent: int
    events_processed: int
    cases: int
    referrals_by_pathway: dict[str, int]
    dead_letters: int
    aggregate_cells: int
    seconds: float
    by_framework: dict[str, int] = field(default_factory=dict)


def demo_events(count: int, seed: int, now: datetime) -> Iterator[dict[str, Any]]:
    """`count` generated events from the last two days (none in the future)."""
    start = now - timedelta(days=2)
    # About twice `count` a day from two days ago; the stream is in time order, so it stops
    # at the first event past `now`, long after `count` were taken.
    stream = generate(
        PROFILES["mixed"], Random(seed), start=start, count=count * 50, per_day=count * 2
    )
    for emitted, event in enumerate(stream, start=1):
        if datetime.fromisoformat(event["time"]) > now:
            return
        yield event
        if emitted >= count:
            return


def publish(settings: Settings, events: Iterator[dict[str, Any]], progress: Progress) -> int:
    producer = reliable_producer(settings.kafka, client_id="mixflow-demo")
    topic = topic_name(settings.kafka, EVENTS_INBOUND)
    sent = 0
    for event in events:
        producer.send(topic, key=event["subject"].encode(), value=orjson.dumps(event))
        sent += 1
        progress(1)
    producer.flush()
    producer.close()
    return sent


def _topic_size(settings: Settings, canonical: str) -> int:
    consumer = KafkaConsumer(**kafka_python_options(settings.kafka))
    try:
        topic = topic_name(settings.kafka, canonical)
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        return sum(ends[tp] - starts[tp] for tp in partitions)
    finally:
        consumer.close()


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the system held before this demo run, so the summary counts only this run."""

    processed: int
    dead_letters: int
    aggregates: int


def _processed(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProcessedEventRow)) or 0


def baseline(settings: Settings) -> Baseline:
    engine = create_engine_for(settings.effective_database_url)
    try:
        with Session(engine) as session:
            processed = _processed(session)
    finally:
        engine.dispose()
    return Baseline(
        processed,
        _topic_size(settings, EVENTS_DEADLETTER),
        _topic_size(settings, FLOWS_AGGREGATES),
    )


def wait_and_summarise(
    settings: Settings, sent: int, started: float, before: Baseline, *, timeout_s: float = 180.0
) -> DemoSummary:
    """Poll the case store until every sent event is processed or parked, then summarise."""
    engine = create_engine_for(settings.effective_database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with Session(engine) as session:
                processed = _processed(session) - before.processed
            letters = _topic_size(settings, EVENTS_DEADLETTER) - before.dead_letters
            if processed + letters >= sent or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        # Aggregates are published on the flows service's timer: wait for its next tick.
        aggregates_due = time.monotonic() + settings.flows.publish_interval_s + 5
        while _topic_size(
            settings, FLOWS_AGGREGATES
        ) <= before.aggregates and time.monotonic() < min(aggregates_due, deadline):
            time.sleep(1.0)
        with Session(engine) as session:
            cases = session.scalar(select(func.count()).select_from(CaseRow)) or 0
            rows = session.execute(
                select(ReferralRow.pathway, ReferralRow.framework, func.count()).group_by(  # type: ignore[call-overload]
                    ReferralRow.pathway, ReferralRow.framework
                )
            ).all()
    finally:
        engine.dispose()
    by_pathway: dict[str, int] = {}
    by_framework: dict[str, int] = {}
    for pathway, framework, count in rows:
        by_pathway[pathway] = by_pathway.get(pathway, 0) + count
        by_framework[framework] = by_framework.get(framework, 0) + count
    return DemoSummary(
        events_sent=sent,
        events_processed=processed,
        cases=cases,
        referrals_by_pathway=dict(sorted(by_pathway.items(), key=lambda kv: -kv[1])),
        dead_letters=letters,
        aggregate_cells=_topic_size(settings, FLOWS_AGGREGATES),
        seconds=time.monotonic() - started,
        by_framework=by_framework,
    )


def now_utc() -> datetime:
    return datetime.now(UTC)
