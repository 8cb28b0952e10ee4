"""Memory of every pipeline service over a long run: router, casework and flows on PostgreSQL.

    .venv/bin/python bench/soak_bench.py [--events 1000000] [--backlog 20000] [--per-day 20000]

Starts a stack of its own (broker, a fresh PostgreSQL database, one process of each pipeline
service; all stopped afterwards, the database dropped) and publishes `--events` generated
events through it as fast as it absorbs them: publication pauses while more than `--backlog`
events are published but not yet stored as case rows, so the run measures the services at their
sustained rate without an ever-growing backlog. Event times advance `--per-day` events a day
apart and end now, as a live stream's do, so time-bounded state (the router's de-duplication
memory, SLA timers, flow windows) behaves as in production; old referrals pass their SLA, so
the casework worker raises alerts as it would.

Every 5 s the RSS of each service is sampled against the events stored so far. Memory is flat
when the median RSS of the last fifth of the run is within `--flat-tolerance` of the second
fifth (the first fifth is start-up and warm caches). The run ends when the case store holds
every event (`lost` = published - stored, must be 0). Writes bench/results/soak-<UTC>.json.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psutil
from kafka import KafkaProducer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scaling_bench import Copies, event_pool, fifths
from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND
from services.adapters.db.engine import create_engine_for
from services.adapters.kafka import topic_name
from services.adapters.processes import terminate_unwinds
from services.adapters.settings import Settings
from services.stack import bench_e2e as e2e

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLE_S = 5.0


class Soak:
    """Publishes with a bounded backlog and samples the services' RSS against progress."""

    def __init__(self, settings: Settings, events: int, backlog: int, per_day: float) -> None:
        self.settings = settings
        self.events = events
        self.backlog = backlog
        self.copies = Copies(event_pool(int.from_bytes(os.urandom(4), "big")), events, per_day)
        self.procs = {
            name: psutil.Process(pid)
            for name, pid in e2e.service_pids(settings).items()
            if name in e2e.PIPELINE
        }
        self.samples: list[dict[str, Any]] = []
        self.engine = create_engine_for(settings.effective_database_url)

    def stored(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM processed_events")).scalar_one())

    def sample(self, published: int, stored: int, began: float) -> None:
        rss = {n: round(p.memory_info().rss / 2**20, 1) for n, p in self.procs.items()}
        elapsed = round(time.monotonic() - began, 1)
        self.samples.append({"s": elapsed, "published": published, "stored": stored, **rss})

    def run(self, progress: Progress) -> float:
        """Publish every event, wait until all are stored; the seconds it took."""
        topic = topic_name(self.settings.kafka, EVENTS_INBOUND)
        producer = KafkaProducer(
            bootstrap_servers=self.settings.kafka.bootstrap,
            acks="all",
            linger_ms=20,
            batch_size=256 * 1024,
        )
        task = progress.add_task("stored", total=self.events)
        began = time.monotonic()
        published = stored = 0
        next_sample = began
        try:
            while stored < self.events:
                now = time.monotonic()
                if now >= next_sample:
                    stored = self.stored()
                    self.sample(published, stored, began)
                    progress.update(task, completed=stored)
                    next_sample = now + SAMPLE_S
                room = min(self.backlog - (published - stored), self.events - published)
                if room <= 0:
                    time.sleep(0.2)
                    continue
                for n in range(published, published + min(room, 2000)):
                    key, value = self.copies.copy(n)
                    producer.send(topic, key=key, value=value)
                published += min(room, 2000)
                producer.flush()
        finally:
            producer.close()
        self.sample(published, stored, began)
        return time.monotonic() - began


def flatness(samples: list[dict[str, Any]], name: str, tolerance: float) -> dict[str, Any]:
    series = [s[name] for s in samples]
    early, late = fifths(series)
    return {
        "first_mb": series[0],
        "second_fifth_median_mb": early,
        "last_fifth_median_mb": late,
        "peak_mb": max(series),
        "flat": late <= early * (1 + tolerance),
    }


def by_decile(samples: list[dict[str, Any]], events: int, names: list[str]) -> list[dict[str, Any]]:
    """The first sample at or past each tenth of the events stored."""
    rows = []
    for tenth in range(1, 11):
        goal = events * tenth // 10
        hit = next((s for s in samples if s["stored"] >= goal), samples[-1])
        rows.append({"stored": hit["stored"], **{n: hit[n] for n in names}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--per-day", type=float, default=20_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--port-base", type=int, default=39292)
    parser.add_argument("--flat-tolerance", type=float, default=0.10)
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the JSON result")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="mixflow-soak-"))
    os.environ.update(e2e.isolated_env(state, args.port_base, args.partitions))
    with terminate_unwinds(), e2e.fresh_postgres(Settings()) as url:
        os.environ["MIXFLOW_DATABASE_URL"] = url
        settings = Settings()
        with e2e.own_pipeline(settings, print):
            soak = Soak(settings, args.events, args.backlog, args.per_day)
            columns = (TextColumn("{task.description}"), BarColumn(), TextColumn(
                "{task.completed:,}/{task.total:,}"), TimeElapsedColumn())  # fmt: skip
            with Progress(*columns) as progress:
                seconds = soak.run(progress)
            stored = soak.stored()
            decisions = e2e.topic_size(settings, DECISIONS)
            letters = e2e.topic_size(settings, EVENTS_DEADLETTER)
            cpu = {n: round(sum(p.cpu_times()[:2]), 1) for n, p in soak.procs.items()}
            soak.engine.dispose()
    names = sorted(soak.procs)
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count()},
        "events": args.events,
        "events_per_day_of_event_time": args.per_day,
        "backlog_bound": args.backlog,
        "seconds": round(seconds, 1),
        "throughput_eps": round(stored / seconds),
        "stored_in_processed_events": stored,
        "decision_records": decisions,
        "dead_letters": letters,
        "lost": args.events - stored,
        "cpu_s": cpu,
        "rss_mb": {n: flatness(soak.samples, n, args.flat_tolerance) for n in names},
        "rss_mb_by_tenth": by_decile(soak.samples, args.events, names),
        "samples": soak.samples,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"soak-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    summary = {k: v for k, v in result.items() if k not in ("samples", "rss_mb_by_tenth")}
    print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    print(f"written to {path}")


if __name__ == "__main__":
    main()
