"""A router running in-process against the real broker, on topics of its own."""

import asyncio
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND, REFERRAL_UPDATES, RULES
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import KafkaSettings, RouterSettings, Settings
from services.domain.synthetic import PROFILES, generate
from services.router.app import RouterService


@dataclass
class RunningRouter:
    settings: Settings
    service: RouterService

    def topic(self, canonical: str) -> str:
        return topic_name(self.settings.kafka, canonical)


def generated_events(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Events from the mixed profile, all comfortably in the past."""
    start = datetime.now(UTC) - timedelta(days=400)
    return list(generate(PROFILES["mixed"], Random(seed), start=start, count=count, per_day=5000))


def publish(bootstrap: str, topic: str, events: list[dict[str, Any]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for event in events:
        producer.send(topic, key=event["subject"].encode(), value=orjson.dumps(event))
    producer.flush()
    producer.close()


def read_all(bootstrap: str, topic: str, expected: int, timeout_s: float = 60) -> list[Any]:
    """Records of `topic` until `expected` arrived (or the time is up), with their partitions."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=int(timeout_s * 1000),
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
    )
    records = []
    for record in consumer:
        records.append(record)
        if len(records) >= expected:
            break
    consumer.close()
    return records


@pytest.fixture
def router(kafka_broker: str, request: pytest.FixtureRequest) -> Iterator[RunningRouter]:
    """A running router; parametrised indirectly, the parameter is its fetch linger (ms)."""
    kafka = KafkaSettings(
        bootstrap=kafka_broker, partitions=4, topic_prefix=f"t{uuid.uuid4().hex[:8]}."
    )
    settings = Settings(kafka=kafka, router=RouterSettings(linger_ms=getattr(request, "param", 0)))
    ensure_topics(
        kafka,
        [
            (topic_name(kafka, t), False)
            for t in (EVENTS_INBOUND, DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES)
        ],
    )
    ensure_topics(kafka, [(topic_name(kafka, RULES), True)], partitions=1)
    service = RouterService(settings)
    loop = asyncio.new_event_loop()
    task = loop.create_task(service.run())
    thread = threading.Thread(target=loop.run_until_complete, args=(task,), daemon=True)
    thread.start()
    yield RunningRouter(settings, service)
    loop.call_soon_threadsafe(service.stop)
    thread.join(timeout=30)
