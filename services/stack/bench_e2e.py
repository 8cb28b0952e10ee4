"""`mixflow bench e2e`: how fast and how soon the running pipeline turns events into outcomes.

One run measures, side by side on this machine:

1. the broker's own limit, with Kafka's `ProducerPerformance` and `ConsumerPerformance` (from
   the broker's jars) on payloads of the generated events, so the message size is the same;
2. the pipeline's capacity: a flood of fresh events published at once, and the rate at which
   they come out as case rows (`event_recorded` on `mixflow.cases.changes`, published by the
   casework outbox after the database commit);
3. just before that flood, on the own stack, the same events through the bare pipeline
   (`services.stack.bare`), the least an event's path to a case row can cost on this machine:
   the ceiling the pipeline's capacity is reported against (`fraction_of_bare_pipeline`);
4. latency at a controlled rate (by default half the capacity): for each event, publication to
   its decision (`mixflow.decisions`), its case row and its aggregate (the `arrivals` and
   `returns` hour totals on `mixflow.flows.aggregates`), and the lag, which must stay bounded.

Times of arrival are the Kafka timestamps of the output records, set by the service that
produced them, so a busy measuring process does not inflate them. Aggregates count events rather
than name them: the n-th published event counts as aggregated when the totals first reach n.

Every published id must have exactly one decision and one case entry (`lost` and `duplicated`
are both 0), and the database's `processed_events` must hold every one of them. Memory (peak
RSS) and CPU of each service come from psutil over the pids in `<state>/stack/run/*.pid`.

This module is longer than the others of the stack because it is one measurement from the first
record to the result file; its parts are small functions in the order a run uses them.
"""

import asyncio
import os
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import orjson
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text

from schemas.topics import (
    CASES_CHANGES,
    DECISIONS,
    EVENTS_DEADLETTER,
    EVENTS_INBOUND,
    FLOWS_AGGREGATES,
)
from services.adapters import local_kafka, local_postgres
from services.adapters.db.engine import create_engine_for
from services.adapters.kafka import aiokafka_options, ensure_topics, topic_name
from services.adapters.settings import Settings
from services.domain.synthetic import PROFILES, generate
from services.stack import bare, infrastructure
from services.stack.catalogue import service_specs
from services.stack.lifecycle import run_files
from services.stack.supervisor import ServiceSpec, running, start, stop

PIPELINE = ("router", "casework", "flows")
"""The services an event passes through; the HTTP APIs are not on its path."""
EVENT_ID = re.compile(rb'"event_id":"([^"]+)"')
RECORDED = b'"kind":"event_recorded"'


# --- the events ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    event_id: str
    key: bytes
    value: bytes


def fresh_events(count: int, seed: int) -> list[Outgoing]:
    """Generated events with new ids, stamped now (in the current flow windows)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    start = datetime.now(UTC) - timedelta(hours=1)
    return [
        Outgoing(e["id"], e["subject"].encode(), orjson.dumps({**e, "time": stamp}))
        for e in generate(PROFILES["mixed"], Random(seed), start=start, count=count)
    ]


# --- what comes out ------------------------------------------------------------------------


@dataclass
class Stage:
    """When each published event was first seen at one stage, and how often it was seen."""

    seen: dict[str, float] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def record(self, event_id: str, at: float) -> None:
        self.counts[event_id] += 1
        self.seen.setdefault(event_id, at)


@dataclass
class Totals:
    """The latest hour totals per (measure, window), and when their sum reached each level."""

    windows: dict[bytes, int] = field(default_factory=dict)
    baseline: int = 0
    reached: list[tuple[float, int]] = field(default_factory=list)

    def record(self, window: bytes, count: int, at: float) -> None:
        self.windows[window] = count
        self.reached.append((at, sum(self.windows.values()) - self.baseline))

    def counted(self) -> int:
        return self.reached[-1][1] if self.reached else 0


COUNTED = (b'"measure":"arrivals"', b'"measure":"returns"')
"""Every decided event is one arrival or one return: their totals together count events."""


def is_total(value: bytes) -> bool:
    return (
        b'"dimensions":{}' in value
        and b'"granularity":"hour"' in value
        and any(measure in value for measure in COUNTED)
    )


@dataclass
class Observed:
    published: dict[str, float] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    decisions: Stage = field(default_factory=Stage)
    cases: Stage = field(default_factory=Stage)
    totals: Totals = field(default_factory=Totals)

    def observe(self, topic: str, kind: str, value: bytes, at: float) -> None:
        if kind == "totals":
            if is_total(value):
                cell = orjson.loads(value)
                if cell.get("count") is not None:
                    window = f"{cell['measure']} {cell['window_start']}".encode()
                    self.totals.record(window, cell["count"], at)
            return
        if kind == "cases" and RECORDED not in value:
            return
        found = EVENT_ID.search(value)
        if found is not None and (event_id := found.group(1).decode()) in self.published:
            (self.decisions if kind == "decisions" else self.cases).record(event_id, at)

    def done(self, events: Sequence[Outgoing]) -> bool:
        return all(e.event_id in self.cases.seen for e in events) and all(
            e.event_id in self.decisions.seen for e in events
        )


async def follow(
    consumer: AIOKafkaConsumer, kind: str, observed: Observed, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        fetched = await consumer.getmany(timeout_ms=100, max_records=5000)
        for records in fetched.values():
            for record in records:
                observed.observe(record.topic, kind, record.value or b"", record.timestamp / 1000)


async def open_followers(settings: Settings) -> list[tuple[AIOKafkaConsumer, str]]:
    """Consumers at the end of each output topic (no group: they read, they never commit)."""
    opened = []
    for canonical, kind in (
        (DECISIONS, "decisions"),
        (CASES_CHANGES, "cases"),
        (FLOWS_AGGREGATES, "totals"),
    ):
        topic = topic_name(settings.kafka, canonical)
        consumer = AIOKafkaConsumer(
            enable_auto_commit=False,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            # Latencies come from the records' timestamps, not from when they are read: the
            # followers may fetch lazily instead of once per arriving record batch, which
            # loaded the broker and this process (0.22 of a core at 1,000 events/s, now 0.16).
            fetch_min_bytes=1024 * 1024,
            fetch_max_wait_ms=200,
            **aiokafka_options(settings.kafka),
        )
        await consumer.start()
        partitions = [TopicPartition(topic, p) for p in await _partitions(consumer, topic)]
        consumer.assign(partitions)
        if kind == "totals":
            await consumer.seek_to_beginning(*partitions)
        else:
            await consumer.seek_to_end(*partitions)
        opened.append((consumer, kind))
    return opened


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[int]:
    for _ in range(50):
        found = consumer.partitions_for_topic(topic)
        if found:
            return sorted(found)
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topic {topic} has no partitions; is the stack initialised?")


# --- publishing ----------------------------------------------------------------------------


async def publish(
    producer: AIOKafkaProducer,
    topic: str,
    events: Sequence[Outgoing],
    rate: float | None,
    observed: Observed,
    lag: list[tuple[float, int]],
) -> float:
    """Send every event, at `rate` a second if given; return when the last was acknowledged."""
    began = time.perf_counter()
    pending = []
    for index, event in enumerate(events):
        if rate:
            delay = began + index / rate - time.perf_counter()
            if delay > 0.001:
                await asyncio.sleep(delay)
        elif index % 1000 == 0:
            await asyncio.sleep(0)  # let the followers read while flooding
        observed.published[event.event_id] = time.time()
        observed.order.append(event.event_id)
        pending.append(await producer.send(topic, event.value, key=event.key))
        if index % 500 == 0:
            lag.append((time.time(), len(observed.order) - len(observed.cases.seen)))
    await asyncio.gather(*pending)
    return time.time()


async def run_phase(
    settings: Settings, events: Sequence[Outgoing], rate: float | None, drain_s: float
) -> tuple[Observed, float, list[tuple[float, int]]]:
    """Publish `events` and follow them out; (what was seen, drain seconds, lag samples)."""
    observed = Observed()
    followers = await open_followers(settings)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(follow(c, k, observed, stop)) for c, k in followers]
    await asyncio.sleep(1.0)  # the totals read back the compacted topic first
    observed.totals.baseline = sum(observed.totals.windows.values())
    observed.totals.reached.clear()
    producer = AIOKafkaProducer(
        acks="all", linger_ms=5, max_batch_size=256 * 1024, **aiokafka_options(settings.kafka)
    )
    await producer.start()
    lag: list[tuple[float, int]] = []
    try:
        last = await publish(
            producer, topic_name(settings.kafka, EVENTS_INBOUND), events, rate, observed, lag
        )
        deadline = time.monotonic() + drain_s
        while not observed.done(events) and time.monotonic() < deadline:
            lag.append((time.time(), len(events) - len(observed.cases.seen)))
            await asyncio.sleep(0.1)
        drained = time.time() - last
        # Aggregates are recomputed every `publish_interval_s`: wait for the flush that counts all.
        for _ in range(int(10 * (2 * settings.flows.publish_interval_s + 2))):
            if observed.totals.counted() >= len(events):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # late duplicates
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await producer.stop()
        for consumer, _ in followers:
            await consumer.stop()
    return observed, drained, lag


# --- figures -------------------------------------------------------------------------------


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None, "count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 1),
        "count": len(ordered),
    }


def stage_latencies(observed: Observed, stage: Stage) -> list[float]:
    sent = observed.published
    return [max(0.0, (at - sent[i]) * 1000) for i, at in stage.seen.items()]


def aggregate_latencies(observed: Observed) -> list[float]:
    """Publication of the n-th event to the first time the totals counted n events."""
    latencies, reached = [], iter(observed.totals.reached)
    current = next(reached, None)
    for n, event_id in enumerate(observed.order, start=1):
        while current is not None and current[1] < n:
            current = next(reached, None)
        if current is None:
            break
        latencies.append(max(0.0, (current[0] - observed.published[event_id]) * 1000))
    return latencies


def integrity(observed: Observed, events: Sequence[Outgoing]) -> dict[str, int]:
    """Ids without a decision, ids not seen as case rows before the drain ended, duplicates."""
    ids = [e.event_id for e in events]
    return {
        "no_decision": sum(1 for i in ids if i not in observed.decisions.seen),
        "not_cased_in_time": sum(1 for i in ids if i not in observed.cases.seen),
        "duplicated": sum(
            1 for i in ids if observed.decisions.counts[i] > 1 or observed.cases.counts[i] > 1
        ),
    }


def stored_events(settings: Settings, ids: Sequence[str]) -> int:
    """How many of `ids` the case store holds in `processed_events` (one row per event)."""
    engine = create_engine_for(settings.effective_database_url)
    found = 0
    try:
        with engine.connect() as conn:
            for lo in range(0, len(ids), 500):
                chunk = list(ids[lo : lo + 500])
                marks = ", ".join(f":i{n}" for n in range(len(chunk)))
                query = text(f"SELECT count(*) FROM processed_events WHERE event_id IN ({marks})")
                found += conn.execute(query, {f"i{n}": v for n, v in enumerate(chunk)}).scalar_one()
    finally:
        engine.dispose()
    return found


def topic_size(settings: Settings, canonical: str) -> int:
    from kafka import KafkaConsumer
    from kafka import TopicPartition as Partition

    from services.adapters.kafka import kafka_python_options

    consumer = KafkaConsumer(**kafka_python_options(settings.kafka))
    try:
        topic = topic_name(settings.kafka, canonical)
        parts = [Partition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends, starts = consumer.end_offsets(parts), consumer.beginning_offsets(parts)
        return sum(ends[p] - starts[p] for p in parts)
    finally:
        consumer.close()


# --- the services' cost --------------------------------------------------------------------


class ServiceMeter:
    """Samples RSS of the stack's processes every half second; CPU seconds over the run, and
    those of the PostgreSQL server when it runs on this machine."""

    def __init__(self, settings: Settings) -> None:
        self.pids = service_pids(settings)
        self.procs = {n: psutil.Process(p) for n, p in self.pids.items() if psutil.pid_exists(p)}
        self.rss: dict[str, list[int]] = {n: [] for n in self.procs}
        self.database = postgres_server(settings)
        self.cpu0 = self.cpu_now()
        self.began = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            for name, proc in self.procs.items():
                try:
                    self.rss[name].append(proc.memory_info().rss)
                except psutil.Error:
                    continue

    def cpu_now(self) -> dict[str, float]:
        """CPU seconds used so far by each process of the stack and by the database server."""
        used: dict[str, float] = {}
        for name, proc in self.procs.items():
            try:
                used[name] = _cpu(proc)
            except psutil.Error:
                continue
        if self.database is not None:
            with suppress(psutil.Error):
                used["database"] = server_cpu(self.database)
        return used

    def finish(self) -> dict[str, dict[str, Any]]:
        self._stop.set()
        self._thread.join()
        seconds = time.monotonic() - self.began
        report = {}
        for name, proc in self.procs.items():
            samples = self.rss[name] or [0]
            try:
                cpu = _cpu(proc) - self.cpu0.get(name, float("nan"))
            except psutil.Error:
                cpu = float("nan")
            report[name] = {
                "pid": proc.pid,
                "peak_rss_mb": round(max(samples) / 2**20, 1),
                "first_rss_mb": round(samples[0] / 2**20, 1),
                "last_rss_mb": round(samples[-1] / 2**20, 1),
                **_cpu_cost(cpu, seconds),
            }
        return report

    def database_cost(self) -> dict[str, Any] | None:
        """CPU of the PostgreSQL server over the run (all its processes), if it is local."""
        if self.database is None:
            return None
        try:
            cpu = server_cpu(self.database) - self.cpu0.get("database", float("nan"))
        except psutil.Error:
            return None
        return {
            "pid": self.database.pid,
            **_cpu_cost(cpu, time.monotonic() - self.began),
            "scope": "the server's processes: postmaster, backends of every client, background",
        }


def _cpu_cost(cpu: float, seconds: float) -> dict[str, float]:
    return {"cpu_s": round(cpu, 1), "cpu_pct_of_one_core": round(100 * cpu / seconds, 1)}


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def server_cpu(postmaster: psutil.Process) -> float:
    """CPU of a PostgreSQL server: its own, its live children's and its exited children's."""
    times = postmaster.cpu_times()
    total = float(times.user + times.system + times.children_user + times.children_system)
    for child in postmaster.children():
        try:
            total += _cpu(child)
        except psutil.Error:  # exited meanwhile: counted in the children times from now on
            continue
    return total


def postgres_server(settings: Settings) -> psutil.Process | None:
    """The postmaster of the database the stack uses, when it runs on this machine.

    Found through a backend of our own: the parent of `pg_backend_pid()` is the postmaster.
    A database elsewhere (or SQLite) gives None: its cost is not this machine's.
    """
    url = settings.effective_database_url
    if not url.startswith("postgresql"):
        return None
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        process = psutil.Process(backend)
        postmaster = process.parent()
        if postmaster is None or "postgres" not in postmaster.name():
            return None
    except psutil.Error:  # no such local process: the server is on another host
        return None
    finally:
        engine.dispose()
    return postmaster


def service_pids(settings: Settings) -> dict[str, int]:
    """Pids in `<state>/stack/run/*.pid`, plus the broker's when this state folder runs it."""
    pids = {}
    for pid_file in sorted((run_files(settings).root / "run").glob("*.pid")):
        try:
            pids[pid_file.stem] = int(pid_file.read_text().strip())
        except ValueError:
            continue
    paths = local_kafka.broker_paths(settings.kafka, settings.state_dir, settings.cache_dir)
    status = local_kafka.status(settings.kafka, paths)
    if isinstance(status.get("pid"), int):
        pids["kafka"] = int(status["pid"])  # type: ignore[call-overload]
    return pids


# --- the broker's own limit ----------------------------------------------------------------


def broker_limit(settings: Settings, sample: Sequence[Outgoing], records: int) -> dict[str, Any]:
    """ProducerPerformance then ConsumerPerformance on a fresh topic, payloads from `sample`."""
    paths = local_kafka.broker_paths(settings.kafka, settings.state_dir, settings.cache_dir)
    libs = paths.libs
    topic = topic_name(settings.kafka, f"bench.limit.{os.getpid()}.{int(time.time())}")
    ensure_topics(settings.kafka, [(topic, False)])
    payloads = settings.state_dir / "bench-payloads.txt"
    payloads.write_bytes(b"\n".join(e.value for e in sample))
    bootstrap = settings.kafka.bootstrap
    produced = _java(
        libs,
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--throughput",
        "-1",
        "--payload-file",
        str(payloads),
        "--producer-props",
        f"bootstrap.servers={bootstrap}",
        "acks=all",
        "linger.ms=5",
        "batch.size=262144",
        "compression.type=none",
    )
    consumed = _java(
        libs,
        "org.apache.kafka.tools.ConsumerPerformance",
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
        "--messages",
        str(records),
        "--timeout",
        "60000",
        "--group",
        f"bench-limit-{os.getpid()}",
    )
    return {
        "records": records,
        "topic": topic,
        **_producer_figures(produced),
        **_consumer_figures(consumed),
    }


def _java(libs: Path, main: str, *args: str) -> str:
    command = ["java", "-Xmx256m", "-cp", f"{libs}/*", main, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    return done.stdout


def _producer_figures(output: str) -> dict[str, float]:
    last = [line for line in output.splitlines() if "records sent" in line][-1]
    eps, mbs = re.search(r"([\d.]+) records/sec \(([\d.]+) MB/sec\)", last).groups()  # type: ignore[union-attr]
    avg = re.search(r"([\d.]+) ms avg latency", last).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"([\d.]+) ms 99th", last).group(1)  # type: ignore[union-attr]
    return {
        "producer_eps": float(eps),
        "producer_mb_s": float(mbs),
        "producer_avg_latency_ms": float(avg),
        "producer_p99_latency_ms": float(p99),
    }


def _consumer_figures(output: str) -> dict[str, float]:
    rows = [line for line in output.splitlines() if line and line[0].isdigit()]
    fields = [part.strip() for part in rows[-1].split(",")]
    # start, end, MB, MB/s, messages, messages/s, rebalance ms, fetch ms, fetch MB/s, fetch msg/s
    return {
        "consumer_mb_s": float(fields[3]),
        "consumer_eps": float(fields[5]),
        "consumer_fetch_eps": float(fields[9]),
    }


# --- a stack of its own --------------------------------------------------------------------


def isolated_env(state_dir: Path, port_base: int, partitions: int) -> dict[str, str]:
    """Variables that give a stack its own broker, state folder, topics and ports."""
    return {
        "MIXFLOW_STATE_DIR": str(state_dir),
        "MIXFLOW_KAFKA__BOOTSTRAP": f"127.0.0.1:{port_base}",
        "MIXFLOW_KAFKA__CONTROLLER_PORT": str(port_base + 1),
        "MIXFLOW_KAFKA__PARTITIONS": str(partitions),
        "MIXFLOW_KAFKA__TOPIC_PREFIX": f"e2e{int(time.time())}.",
        "MIXFLOW_API__INGEST_PORT": str(port_base + 11),
        "MIXFLOW_API__CASES_PORT": str(port_base + 12),
        "MIXFLOW_API__FLOWS_PORT": str(port_base + 13),
        "MIXFLOW_API__RULES_PORT": str(port_base + 14),
    }


@contextmanager
def fresh_postgres(settings: Settings) -> Iterator[str]:
    """A new database on the project's PostgreSQL for one run, dropped afterwards.

    The cluster is started (installed first if needed) when it does not run, and then stopped
    again after the run."""
    pg = settings.postgres
    started = local_postgres.up(pg, settings.state_dir)
    try:
        with local_postgres.scratch_database(pg, "mixflow_e2e") as url:
            yield url
    finally:
        if started:
            local_postgres.down(pg, settings.state_dir)


def pipeline_specs(settings: Settings) -> list[ServiceSpec]:
    return [s for s in service_specs(settings) if s.name in PIPELINE]


def replicated(specs: Sequence[ServiceSpec], workers: int) -> list[ServiceSpec]:
    """`workers` processes of each service (`router`, `router-2`, ...), one consumer group each."""
    return [
        spec if n == 1 else replace(spec, name=f"{spec.name}-{n}")
        for spec in specs
        for n in range(1, workers + 1)
    ]


@contextmanager
def own_pipeline(
    settings: Settings, report: Any, *, workers: int = 1, timeout_s: float = 180.0
) -> Iterator[None]:
    """Broker, database, topics, ruleset and `workers` processes of each of the pipeline's
    services; all stopped afterwards."""
    _, started = infrastructure.start_broker(settings)
    files = run_files(settings)
    specs = replicated(pipeline_specs(settings), workers)
    try:
        infrastructure.prepare_database(settings)
        infrastructure.create_topics(settings)
        infrastructure.publish_default_ruleset(settings)
        for spec in specs:
            pid, _ = start(spec, files, {})
            report(f"{spec.name} started (pid {pid})")
        deadline = time.monotonic() + timeout_s
        while not all(s.ready() for s in specs):
            if time.monotonic() > deadline or any(running(s, files) is None for s in specs):
                raise RuntimeError(f"the pipeline did not become ready; logs in {files.root}")
            time.sleep(0.5)
        yield
    finally:
        for spec in reversed(specs):
            stop(spec, files)
        if started:
            infrastructure.stop_broker(settings)


def pipeline_running(settings: Settings) -> bool:
    files = run_files(settings)
    return all(running(s, files) is not None and s.ready() for s in pipeline_specs(settings))


# --- one run -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class E2eConfig:
    capacity_events: int = 50_000
    latency_s: float = 20.0
    latency_fraction: float = 0.5
    latency_rate: float | None = None
    limit_records: int = 200_000
    drain_s: float = 120.0
    workers: int | None = 1
    """Processes of each pipeline service the own stack starts; None for a running stack."""
    bounded_s: float = 5.0
    """After the last publication at the latency rate, every case row within this many seconds."""
    bare: bool = True
    """Also flood the bare pipeline (`services.stack.bare`), the ceiling the pipeline is measured
    against."""


def run(settings: Settings, config: E2eConfig, report: Any) -> dict[str, Any]:
    seed = int.from_bytes(os.urandom(6), "big")
    report(f"generating {config.capacity_events} events")
    flood = fresh_events(config.capacity_events, seed)
    size = sum(len(e.value) for e in flood) / len(flood)
    report(f"broker limit: ProducerPerformance/ConsumerPerformance, {config.limit_records} records")
    limit = broker_limit(settings, flood[:1000], config.limit_records)
    ceiling = None
    if config.bare:
        report("bare pipeline: the same flood through validation, routing and case rows only")
        bare_meter = ServiceMeter(settings)
        flooded = [(e.key, e.value) for e in flood]
        ceiling = bare.measure(settings, flooded, bare_meter.cpu_now)
        bare_meter.finish()
    meter = ServiceMeter(settings)
    letters = topic_size(settings, EVENTS_DEADLETTER)
    report("capacity: publishing every event at once")
    before = meter.cpu_now()
    cap_seen, cap_drain, _ = asyncio.run(run_phase(settings, flood, None, config.drain_s))
    capacity = capacity_figures(cap_seen)
    # What bounds capacity: each process's CPU per event while the flood went through.
    after = meter.cpu_now()
    flood_cost = {
        name: round((after[name] - before[name]) / len(flood) * 1000, 3)
        for name in before
        if name in after
    }
    rate = config.latency_rate or max(1.0, capacity["throughput_eps"] * config.latency_fraction)
    count = max(1, int(rate * config.latency_s))
    report(f"latency: {count} events at {rate:.0f}/s")
    steady = fresh_events(count, seed + 1)
    lat_seen, lat_drain, lag = asyncio.run(run_phase(settings, steady, rate, config.drain_s))
    services = meter.finish()
    database = meter.database_cost()
    checks = [integrity(cap_seen, flood), integrity(lat_seen, steady)]
    all_ids = [e.event_id for e in (*flood, *steady)]
    stored = stored_events(settings, all_ids)
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        },
        "stack": {
            "bootstrap": settings.kafka.bootstrap,
            "prefix": settings.kafka.topic_prefix,
            "partitions": settings.kafka.partitions,
            "workers_per_service": config.workers,
            "database": settings.effective_database_url.split(":", 1)[0],
        },
        "message_bytes_avg": round(size),
        "throughput_eps": capacity["throughput_eps"],
        "capacity": {
            **capacity,
            "events": len(flood),
            "drained_after_publish_s": round(cap_drain, 2),
            "cpu_ms_per_event": flood_cost,
            "cpu_ms_per_event_total": round(sum(flood_cost.values()), 3),
        },
        "broker_limit": limit,
        "fraction_of_broker": {
            "producer": round(capacity["throughput_eps"] / limit["producer_eps"], 3),
            "consumer": round(capacity["throughput_eps"] / limit["consumer_eps"], 3),
        },
        "bare_pipeline": ceiling,
        "fraction_of_bare_pipeline": (
            round(capacity["throughput_eps"] / ceiling["throughput_eps"], 3) if ceiling else None
        ),
        "latency": {
            "rate_eps": round(rate),
            "events": count,
            "decision_ms": percentiles(stage_latencies(lat_seen, lat_seen.decisions)),
            "case_ms": percentiles(stage_latencies(lat_seen, lat_seen.cases)),
            "aggregate_ms": percentiles(aggregate_latencies(lat_seen)),
            "lag_max_events": max((n for _, n in lag), default=0),
            "drained_after_publish_s": round(lat_drain, 2),
            "bounded": lat_drain <= config.bounded_s,
        },
        "services": services,
        "database": database,
        "dead_letters": topic_size(settings, EVENTS_DEADLETTER) - letters,
        # Lost: no decision at all, or no row in the case store once the run is over. Events
        # still on their way when a phase's drain ended are counted apart, not as lost.
        "lost": sum(c["no_decision"] for c in checks) + len(all_ids) - stored,
        "duplicated": sum(c["duplicated"] for c in checks),
        "not_cased_within_drain": sum(c["not_cased_in_time"] for c in checks),
        "stored_in_processed_events": stored,
        "published": len(all_ids),
    }
    return result


def capacity_figures(observed: Observed) -> dict[str, float]:
    first = min(observed.published.values())
    last_case = max(observed.cases.seen.values(), default=first)
    last_decision = max(observed.decisions.seen.values(), default=first)
    cased, decided = len(observed.cases.seen), len(observed.decisions.seen)
    return {
        "throughput_eps": round(cased / max(last_case - first, 1e-3)),
        "decision_eps": round(decided / max(last_decision - first, 1e-3)),
        "seconds_to_last_case": round(last_case - first, 2),
    }


def write_result(result: dict[str, Any], results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results_dir / f"e2e-{stamp}.json"
    partial = path.with_suffix(".json.tmp")
    partial.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    partial.replace(path)
    return path
