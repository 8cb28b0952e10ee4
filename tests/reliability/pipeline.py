"""The whole pipeline (router, casework, flows) as real worker processes, and what it left behind.

`Pipeline` starts `python -m services.cli serve <service>` processes on one topic prefix, one
database and one broker, kills them with SIGKILL and restarts them; `Stream` publishes generated
events to inbound at a steady rate from a thread, re-sending a batch the broker did not
acknowledge; `Outcome` reads the topics and the database back and checks the invariants of
PRODUCT.md's promise "nothing is lost". Everything here stops by itself: waits are bounded.
"""

import base64
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import orjson
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from sqlalchemy import Engine, text

from schemas.topics import CASES_CHANGES, DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND
from services.adapters.kafka import topic_name
from services.adapters.settings import KafkaSettings, Settings
from services.domain.synthetic import PROFILES, generate
from tests.conftest import REPO

SERVICES = ("router", "casework", "flows")
GROUPS = {"router": "mixflow-router", "casework": "mixflow-casework", "flows": "mixflow-flows"}
INPUTS = {
    "router": (EVENTS_INBOUND,),
    "casework": (DECISIONS,),
    "flows": (DECISIONS, CASES_CHANGES),
}


def rounds() -> int:
    """Fault rounds: 1 in CI (the default), more with `MIXFLOW_RELIABILITY_ROUNDS`."""
    return max(1, int(os.environ.get("MIXFLOW_RELIABILITY_ROUNDS", "1")))


def generated_events(count: int, seed: int, per_day: float = 50_000) -> list[dict[str, Any]]:
    """Mixed-profile events of the last hours, all in the past (the router refuses the future)."""
    now = datetime.now(UTC)
    trial = list(generate(PROFILES["mixed"], Random(seed), start=now, count=count, per_day=per_day))
    span = max(datetime.fromisoformat(e["time"]) for e in trial) - now
    start = now - span - timedelta(minutes=5)
    return list(
        generate(PROFILES["mixed"], Random(seed), start=start, count=count, per_day=per_day)
    )


@dataclass
class Worker:
    """One service process; `kill()` is SIGKILL, `stop()` a clean SIGTERM."""

    service: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    killed: bool = False

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "serve", self.service],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        assert self.process is not None
        self.killed = True
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@dataclass
class Pipeline:
    settings: Settings
    engine: Engine
    state: Path
    workers: list[Worker] = field(default_factory=list)

    @property
    def kafka(self) -> KafkaSettings:
        return self.settings.kafka

    def topic(self, canonical: str) -> str:
        return topic_name(self.kafka, canonical)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "MIXFLOW_ENVIRONMENT": "test",
            "MIXFLOW_LOG_LEVEL": "WARNING",
            "MIXFLOW_STATE_DIR": str(self.state),
            "MIXFLOW_DATABASE_URL": str(self.settings.database_url),
            "MIXFLOW_KAFKA__BOOTSTRAP": self.kafka.bootstrap,
            "MIXFLOW_KAFKA__TOPIC_PREFIX": self.kafka.topic_prefix,
            "MIXFLOW_KAFKA__PARTITIONS": str(self.kafka.partitions),
            "MIXFLOW_CASEWORK__BATCH_SIZE": "300",
            "MIXFLOW_CASEWORK__OUTBOX_INTERVAL_S": "0.5",
            "MIXFLOW_FLOWS__FLUSH_INTERVAL_S": "0.5",
            "MIXFLOW_FLOWS__BATCH_WITHIN_S": "0.1",
            "MIXFLOW_FLOWS__PUBLISH_INTERVAL_S": "1",
        }

    def start(self, service: str) -> Worker:
        n = sum(w.service == service for w in self.workers)
        worker = Worker(service, self.env(), self.state / f"{service}-{n}.log")
        worker.start()
        self.workers.append(worker)
        return worker

    def running(self, service: str) -> list[Worker]:
        return [w for w in self.workers if w.service == service and w.alive()]

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {w.service} ({w.log.name})\n{w.tail()}" for w in self.workers)

    def group(self, service: str) -> str:
        return f"{self.kafka.topic_prefix}{GROUPS[service]}"

    def lag(self, service: str) -> dict[TopicPartition, tuple[int, int]]:
        """(committed or -1, end) of each input partition of `service`'s consumer group."""
        topics = [self.topic(t) for t in INPUTS[service]]
        admin = KafkaAdminClient(bootstrap_servers=self.kafka.bootstrap, request_timeout_ms=5000)
        consumer = KafkaConsumer(bootstrap_servers=self.kafka.bootstrap, request_timeout_ms=5000)
        try:
            group = self.group(service)
            committed = admin.list_group_offsets(group).get(group, {})
            parts = [
                TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
            ]
            ends = consumer.end_offsets(parts)
        finally:
            admin.close()
            consumer.close()
        return {
            tp: (committed[tp].offset if tp in committed else -1, end) for tp, end in ends.items()
        }

    def members(self, service: str) -> set[str]:
        """Member ids of `service`'s consumer group right now (a new consumer gets a new id)."""
        admin = KafkaAdminClient(bootstrap_servers=self.kafka.bootstrap, request_timeout_ms=5000)
        try:
            group = self.group(service)
            described = admin.describe_groups([group])[group]
        finally:
            admin.close()
        return {str(m.get("member_id")) for m in described.get("members") or ()}

    def joined(self, services: tuple[str, ...], before: dict[str, set[str]]) -> bool:
        """Every running worker of `services` is in its group, and those restarted since
        `before` (member ids then) joined anew: a dead member's id lingers for a session."""
        died = [w for w in self.workers if not w.killed and not w.alive()]
        assert not died, f"{[w.log.name for w in died]} exited by itself\n{self.logs()}"
        for service in services:
            now = self.members(service)
            if len(now) != len(self.running(service)):
                return False
            if service in before and not now - before[service]:
                return False
        return True

    def total_lag(self) -> int:
        return sum(end - max(done, 0) for s in SERVICES for done, end in self.lag(s).values())


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds it took `condition` to hold; fails after `timeout_s`."""
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        try:
            if condition():
                return time.monotonic() - began
        except (KafkaError, OSError):
            pass  # the broker is still coming back; ask again
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


class Stream:
    """Publishes events to inbound at `rate_per_s` from a thread until the list is done or
    `stop()`; a batch the broker did not acknowledge is sent again (same ids), so `sent` holds
    exactly the events the broker has."""

    def __init__(self, bootstrap: str, topic: str, events: list[dict[str, Any]], rate: float):
        self._events, self._rate, self._topic = events, rate, topic
        self._bootstrap = bootstrap
        self._stop = threading.Event()
        self.sent: list[dict[str, Any]] = []
        self.resends = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Stream":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        producer = KafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            linger_ms=5,
            retries=5,
            request_timeout_ms=5000,
            max_block_ms=5000,
            reconnect_backoff_max_ms=1000,
        )
        batch = max(1, int(self._rate / 10))
        try:
            for at in range(0, len(self._events), batch):
                if self._stop.is_set():
                    return
                chunk = self._events[at : at + batch]
                self._publish(producer, chunk)
                self.sent.extend(chunk)
                self._stop.wait(0.1)
        finally:
            producer.close(timeout=5)

    def _publish(self, producer: KafkaProducer, chunk: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + 120
        while True:
            try:
                futures = [
                    producer.send(self._topic, key=e["subject"].encode(), value=orjson.dumps(e))
                    for e in chunk
                ]
                producer.flush(timeout=10)
                for future in futures:
                    future.get(timeout=1)
                return
            except KafkaError:
                if time.monotonic() > deadline:
                    raise
                self.resends += 1
                time.sleep(1)


def read_topic(bootstrap: str, topic: str, *, idle_s: float = 2.5) -> list[Any]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=int(idle_s * 1000),
        group_id=None,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    records = list(consumer)
    consumer.close()
    return records


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


@dataclass
class Outcome:
    """What the run left in the topics and the database, and how it measures up."""

    published: int
    decided: int
    dead_lettered: int
    lost: list[str]
    duplicated: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.problems)


def check(pipeline: Pipeline, sent: list[dict[str, Any]]) -> Outcome:
    """Every sent event: one decision, one processed event, one timeline entry, its referrals
    once, counted once in the flows; or a dead letter with a reason."""
    bootstrap = pipeline.kafka.bootstrap
    ids = {e["id"] for e in sent}
    decisions: dict[str, set[str]] = defaultdict(set)
    referrals: dict[str, set[str]] = {}
    for record in read_topic(bootstrap, pipeline.topic(DECISIONS)):
        d = orjson.loads(record.value)
        decisions[d["event_id"]].add(d["decision_id"])
        referrals[d["decision_id"]] = {r["pathway"] for r in d["referrals"]}
    letters: set[str] = set()
    problems: list[str] = []
    for record in read_topic(bootstrap, pipeline.topic(EVENTS_DEADLETTER)):
        letter = orjson.loads(record.value)
        if not letter["problems"] or not all(p["reason"] for p in letter["problems"]):
            problems.append(f"a dead letter without a reason at offset {record.offset}")
        if letter.get("original_value"):
            original = orjson.loads(base64.b64decode(letter["original_value"]))
            letters.add(original.get("id", ""))

    engine = pipeline.engine
    processed = Counter(r[0] for r in _rows(engine, "SELECT event_id FROM processed_events"))
    timeline = Counter(
        r[0] for r in _rows(engine, "SELECT event_id FROM timeline WHERE kind = 'event_recorded'")
    )
    stored = Counter(
        (r[0], r[1]) for r in _rows(engine, "SELECT decision_id, pathway FROM referrals")
    )
    seen = {r[0] for r in _rows(engine, "SELECT ident FROM flow_seen")}
    cells = dict(
        _rows(
            engine,
            "SELECT measure, SUM(count) FROM flow_cells WHERE granularity = 'day' GROUP BY measure",
        )
    )

    lost = sorted(i for i in ids if i not in decisions and i not in letters)
    duplicated = sorted(
        {i for i, ds in decisions.items() if len(ds) > 1}
        | {i for i, n in processed.items() if n > 1}
        | {i for i, n in timeline.items() if n > 1}
        | {f"{d}/{p}" for (d, p), n in stored.items() if n > 1}
    )
    decided = {i: next(iter(ds)) for i, ds in decisions.items() if i in ids}
    lost += sorted(i for i in decided if processed[i] != 1 or timeline[i] != 1)
    expected_refs = {(d, p) for d in decided.values() for p in referrals[d]}
    lost += sorted(f"{d}/{p}" for d, p in expected_refs - set(stored))
    lost += sorted(f"flows:{d}" for d in decided.values() if d not in seen)
    events_counted = int(cells.get("arrivals", 0)) + int(cells.get("returns", 0))
    if events_counted != len(decided):
        problems.append(f"flows counted {events_counted} events for {len(decided)} decisions")
    if int(cells.get("referrals", 0)) != len(expected_refs):
        problems.append(
            f"flows counted {cells.get('referrals', 0)} referrals for {len(expected_refs)}"
        )
    unexpected = set(decisions) - ids
    if unexpected:
        problems.append(f"{len(unexpected)} decisions for events never sent")
    return Outcome(len(ids), len(decided), len(letters & ids), lost, duplicated, problems)


def new_settings(bootstrap: str, database_url: str, state: Path) -> Settings:
    kafka = KafkaSettings(
        bootstrap=bootstrap, partitions=4, topic_prefix=f"rel{uuid.uuid4().hex[:8]}."
    )
    return Settings(kafka=kafka, database_url=database_url, state_dir=state)


def faults_in(rng: Random, services: tuple[str, ...], n_rounds: int) -> Iterator[str]:
    """The order in which services are killed: every service once per round, shuffled."""
    for _ in range(n_rounds):
        order = list(services)
        rng.shuffle(order)
        yield from order
