"""How the router scales: worker processes x partitions, and cost as the event volume grows.

    .venv/bin/python bench/scaling_bench.py [--volumes 10000,100000] [--workers 1,2]
        [--partitions 1,4,12] [--per-day 20000] [--bootstrap 127.0.0.1:9092]

For each run an inbound topic is filled (events are generated once and given fresh ids per
copy, so the router's de-duplication never drops one, and event times `--per-day` apart, so a
long run spans event time as a live stream does). Then for every
(workers, partitions) pair the router runs as that many separate worker processes in one
consumer group until the decisions topic holds every event. Throughput is measured on the
decisions themselves: events / (last decision's Kafka timestamp - first one's), so process
start-up and group joins are not counted. RSS of every worker is sampled twice a second; memory
is flat when the last fifth of the samples is within `--flat-tolerance` of the second fifth
(the first fifth is start-up). Writes bench/results/scaling-<UTC timestamp>.json.

1M events take several minutes to generate and route on a 2-core machine: pass
`--volumes 10000,100000,1000000` when there is time.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import orjson
import psutil
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND, REFERRAL_UPDATES, RULES
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import KafkaSettings, Settings
from services.domain.synthetic import PROFILES, generate

RESULTS = Path(__file__).resolve().parent / "results"
POOL = 10_000


STAMP = b"2000-01-01T00:00:00Z"
"""The pool's placeholder event time; every copy gets its own (see `fill`)."""


def event_pool(seed: int) -> list[tuple[bytes, bytes, bytes]]:
    """(key, value, original id) of POOL generated events with a placeholder time."""
    start = datetime.now(UTC) - timedelta(hours=1)
    return [
        (e["subject"].encode(), orjson.dumps({**e, "time": STAMP.decode()}), e["id"].encode())
        for e in generate(PROFILES["mixed"], Random(seed), start=start, count=POOL)
    ]


def fill(
    bootstrap: str,
    topic: str,
    pool: list[tuple[bytes, bytes, bytes]],
    count: int,
    per_day: float,
) -> None:
    """`count` events from the pool, each copy with an id of its own (uuid-shaped) and an
    event time `per_day` events a day apart, ending a minute ago: the event time of a long
    run advances as a live stream's does, so time-bounded state (the router's de-duplication
    memory, 7 days by default) is bounded as it would be in production."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=20, batch_size=512 * 1024
    )
    copies = Copies(pool, count, per_day)
    for n in range(count):
        key, value = copies.copy(n)
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


class Copies:
    """The n-th of `count` copies of pooled events: an id of its own (uuid-shaped) and an event
    time `per_day` events a day apart, the last a minute ago."""

    def __init__(self, pool: list[tuple[bytes, bytes, bytes]], count: int, per_day: float) -> None:
        self.pool = pool
        self.run = uuid.uuid4().hex[:12]
        self.gap = timedelta(days=1) / per_day
        self.first = datetime.now(UTC) - timedelta(minutes=1) - self.gap * count

    def copy(self, n: int) -> tuple[bytes, bytes]:
        key, value, original = self.pool[n % len(self.pool)]
        fresh = f"{n:08x}-0000-4000-8000-{self.run}".encode()
        stamp = (self.first + self.gap * n).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        return key, value.replace(original, fresh, 1).replace(STAMP, stamp, 1)


def decisions_span(bootstrap: str, topic: str) -> tuple[int, float]:
    """(records, seconds between the first and last record's timestamps) of `topic`."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    ends, starts = consumer.end_offsets(parts), consumer.beginning_offsets(parts)
    stamps: list[int] = []
    for tp in parts:
        for offset in {starts[tp], ends[tp] - 1} if ends[tp] > starts[tp] else ():
            consumer.assign([tp])
            consumer.seek(tp, offset)
            polled = consumer.poll(timeout_ms=5000, max_records=1)
            stamps.extend(r.timestamp for rs in polled.values() for r in rs)
    consumer.close()
    total = sum(ends[tp] - starts[tp] for tp in parts)
    return total, (max(stamps) - min(stamps)) / 1000 if stamps else 0.0


def run_workers(
    bootstrap: str, prefix: str, partitions: int, workers: int, expected: int, timeout_s: float
) -> dict[str, Any]:
    env = {
        **os.environ,
        "MIXFLOW_KAFKA__BOOTSTRAP": bootstrap,
        "MIXFLOW_KAFKA__TOPIC_PREFIX": prefix,
        "MIXFLOW_KAFKA__PARTITIONS": str(partitions),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    meters = [psutil.Process(p.pid) for p in procs]
    samples: list[list[int]] = [[] for _ in procs]
    decisions = topic_name(KafkaSettings(topic_prefix=prefix), DECISIONS)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    parts = [TopicPartition(decisions, p) for p in range(partitions)]
    deadline = time.monotonic() + timeout_s
    cpu0 = time.monotonic()
    try:
        while time.monotonic() < deadline:
            for n, meter in enumerate(meters):
                samples[n].append(meter.memory_info().rss)
            if sum(consumer.end_offsets(parts).values()) >= expected:
                break
            time.sleep(0.5)
        cpu = sum(m.cpu_times().user + m.cpu_times().system for m in meters)
    finally:
        consumer.close()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
    routed, span = decisions_span(bootstrap, decisions)
    return {
        "routed": routed,
        "eps": round(routed / span) if span else None,
        "span_s": round(span, 2),
        "cpu_s_per_1k_events": round(1000 * cpu / max(routed, 1), 3),
        "wall_s": round(time.monotonic() - cpu0, 1),
        "rss_mb": [memory(s) for s in samples],
    }


def fifths(samples: list[float]) -> tuple[float, float]:
    """Medians of the second fifth and of the last fifth (the first fifth is start-up)."""
    fifth = max(1, len(samples) // 5)
    return statistics.median(samples[fifth : 2 * fifth] or samples), statistics.median(
        samples[-fifth:]
    )


def memory(samples: list[int]) -> dict[str, Any]:
    early, late = fifths([float(s) for s in samples])
    return {
        "peak": round(max(samples) / 2**20, 1),
        "early": round(early / 2**20, 1),
        "late": round(late / 2**20, 1),
        "samples": len(samples),
    }


def worker() -> None:
    """One router worker process (the orchestrator starts these and stops them by pid)."""
    from services.adapters.worker import tune_gc
    from services.router.app import RouterService

    service = RouterService(Settings())
    tune_gc()  # as `mixflow serve router` does once started
    loop = asyncio.new_event_loop()
    loop.add_signal_handler(signal.SIGTERM, service.stop)
    loop.run_until_complete(service.run())


def prepare(kafka: KafkaSettings) -> None:
    names = [
        topic_name(kafka, t)
        for t in (EVENTS_INBOUND, DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES)
    ]
    ensure_topics(kafka, [(n, False) for n in names])
    ensure_topics(kafka, [(topic_name(kafka, RULES), True)], partitions=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--volumes", default="10000,100000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--partitions", default="1,4,12")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--flat-tolerance", type=float, default=0.10)
    parser.add_argument(
        "--per-day", type=float, default=20_000, help="event-time density of the generated stream"
    )
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    pool = event_pool(int.from_bytes(os.urandom(4), "big"))
    runs = []
    for volume in (int(v) for v in args.volumes.split(",")):
        for partitions in (int(p) for p in args.partitions.split(",")):
            for workers in (int(w) for w in args.workers.split(",")):
                prefix = f"scale{uuid.uuid4().hex[:6]}."
                kafka = KafkaSettings(
                    bootstrap=args.bootstrap, partitions=partitions, topic_prefix=prefix
                )
                prepare(kafka)
                fill(args.bootstrap, topic_name(kafka, EVENTS_INBOUND), pool, volume, args.per_day)
                figures = run_workers(
                    args.bootstrap,
                    prefix,
                    partitions,
                    workers,
                    volume,
                    timeout_s=max(120, volume / 200),
                )
                flat = all(
                    m["late"] <= m["early"] * (1 + args.flat_tolerance) for m in figures["rss_mb"]
                )
                runs.append(
                    {
                        "events": volume,
                        "partitions": partitions,
                        "workers": workers,
                        **figures,
                        "memory_flat": flat,
                    }
                )
                print(json.dumps(runs[-1]), flush=True)
    result = {
        "runs": runs,
        "events_per_day_of_event_time": args.per_day,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"scaling-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
