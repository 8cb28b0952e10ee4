"""Agencies that publish straight to Kafka, the way a partner's integration does.

`KafkaUser` is a Locust user on kafka-python that never waits for a single message: each send
returns at once and the broker's acknowledgement (or error) reaches Locust's statistics from the
delivery callback, with the time from `send` to acknowledgement as the response time. Waiting
after every message, as request/response users do, would measure round trips instead and top
out near a hundred messages a second. One producer per Locust process is shared by its users,
as one integration process would share one client; it is flushed when the test stops.

Settings come from `MIXFLOW_*` (broker, topic prefix); `MIXFLOW_LOADTEST_TOPIC` sends elsewhere
and `MIXFLOW_LOADTEST_KAFKA_RATE` sets the events a second of each user (default 200).
"""

import os
import threading
import time
from typing import Any, ClassVar

import gevent
import orjson
from kafka import KafkaProducer
from locust import User, constant_throughput, events, task
from locust.env import Environment
from locust.stats import CSV_STATS_INTERVAL_SEC
from population import EventStream, stack_settings

from schemas.topics import EVENTS_INBOUND
from services.adapters.kafka import kafka_python_options, topic_name


def inbound_topic() -> str:
    return os.environ.get("MIXFLOW_LOADTEST_TOPIC") or topic_name(
        stack_settings().kafka, EVENTS_INBOUND
    )


class SharedProducer:
    """One kafka-python producer per process, created on first use, closed on test stop."""

    _lock = threading.Lock()
    _producer: ClassVar[KafkaProducer | None] = None

    @classmethod
    def get(cls, bootstrap: str | None) -> KafkaProducer:
        with cls._lock:
            if cls._producer is None:
                options = kafka_python_options(stack_settings().kafka)
                if bootstrap:
                    options["bootstrap_servers"] = bootstrap
                cls._producer = KafkaProducer(
                    **options,
                    acks="all",
                    linger_ms=5,
                    batch_size=256 * 1024,
                    client_id="mixflow-loadtest",
                )
            return cls._producer

    @classmethod
    def close(cls) -> None:
        with cls._lock:
            if cls._producer is not None:
                cls._producer.flush(timeout=30)
                cls._producer.close(timeout=30)
                cls._producer = None


@events.test_start.add_listener  # type: ignore[untyped-decorator]  # Locust is untyped here
def _connect_on_start(environment: Environment, **_: Any) -> None:
    # Connecting (bootstrap, API versions) before users spawn keeps it out of the timed run.
    SharedProducer.get(environment.host or None)


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def _flush_on_stop(**_: Any) -> None:
    SharedProducer.close()
    # The acknowledgements that arrived during the flush are in the statistics now; Locust's CSV
    # writer rewrites its files once a second, so give it one more turn before the process ends.
    gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.2)


class KafkaUser(User):
    """Base of users that produce to Kafka; `host` (`--host`) may name the bootstrap servers."""

    abstract = True
    topic: str = ""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.producer = SharedProducer.get(self.host or None)
        self.topic = self.topic or inbound_topic()

    def send(self, name: str, key: bytes, value: bytes) -> None:
        """Produce one record; its outcome is reported to Locust when the broker answers."""
        fire = self.environment.events.request.fire
        began = time.perf_counter()

        def delivered(_: Any) -> None:
            elapsed = (time.perf_counter() - began) * 1000
            fire(
                request_type="kafka",
                name=name,
                response_time=elapsed,
                response_length=len(value),
                exception=None,
                context={},
            )

        def failed(exc: BaseException) -> None:
            elapsed = (time.perf_counter() - began) * 1000
            fire(
                request_type="kafka",
                name=name,
                response_time=elapsed,
                response_length=len(value),
                exception=exc,
                context={},
            )

        future = self.producer.send(self.topic, key=key, value=value)
        future.add_callback(delivered)
        future.add_errback(failed)


class AgencyKafkaUser(KafkaUser):
    """An agency system publishing arrival and return events, `events_per_task` at a time."""

    weight = 1
    events_per_task = 20
    wait_time = constant_throughput(
        float(os.environ.get("MIXFLOW_LOADTEST_KAFKA_RATE", "200")) / events_per_task
    )
    stream = EventStream()

    @task
    def publish_events(self) -> None:
        for event in self.stream.take(self.events_per_task):
            self.send(f"produce {self.topic}", event["subject"].encode(), orjson.dumps(event))
