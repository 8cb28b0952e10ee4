"""Flows-service benchmark: decisions through the real worker, broker and database.

Measures (1) events/s aggregated by the service from a backlog of N decisions, (2) stored cell
rows per event (the write amplification of the finest-cell design), and (3) the lag from a
decision being published to its count being stored, while decisions arrive at a steady rate.
Prints JSON and writes bench/results/flows-service-<UTC>.json.

Run (a broker must be running, e.g. `mixflow kafka up`, or the test broker); without
`--database-url` the store is a SQLite file, deployments (and the recorded figures) use
PostgreSQL:
  .venv/bin/python bench/flows_service_bench.py --bootstrap 127.0.0.1:19092 --events 20000 \
      --database-url postgresql+psycopg://mixflow:change-me-local-only@127.0.0.1:55432/<db>
"""

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import Engine, func, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from schemas.envelope import parse_structured  # noqa: E402
from schemas.topics import CASES_CHANGES, DECISIONS, FLOWS_AGGREGATES  # noqa: E402
from services.adapters.db.engine import create_engine_for  # noqa: E402
from services.adapters.db.migrate import migrate  # noqa: E402
from services.adapters.db.tables import FlowCellRow  # noqa: E402
from services.adapters.kafka import ensure_topics, topic_name  # noqa: E402
from services.adapters.settings import KafkaSettings  # noqa: E402
from services.domain.synthetic import PROFILES, generate  # noqa: E402
from services.router.app import DEFAULT_RULES_DIR  # noqa: E402
from services.router.rulesets import load_default  # noqa: E402


def decisions(count: int, start: datetime, seed: int) -> list[tuple[bytes, bytes]]:
    """Real decisions: synthetic events routed by the default ruleset."""
    ruleset = load_default(DEFAULT_RULES_DIR)
    now = datetime.now(UTC)
    out = []
    events = generate(PROFILES["mixed"], Random(seed), start=start, count=count, per_day=20000)
    for event in events:
        parsed = parse_structured(orjson.dumps(event), now=now)
        decision = ruleset.route(parsed, now=now).to_contract()
        out.append((decision.person_ref.encode(), decision.model_dump_json().encode()))
    return out


def counted(engine: Engine, granularity: str = "day") -> int:
    row = FlowCellRow.__table__.c  # type: ignore[attr-defined]  # SQLModel declares it at run time
    query = select(func.coalesce(func.sum(row.count), 0)).where(
        row.measure.in_(["arrivals", "returns"]), row.granularity == granularity
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def end_offsets(bootstrap: str, topics: list[str]) -> dict[str, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    out = {}
    for topic in topics:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        out[topic] = sum(consumer.end_offsets(tps).values()) if tps else 0
    consumer.close()
    return out


def wait_for(engine: Engine, target: int, timeout_s: float) -> tuple[float | None, float, int]:
    """(time of first progress, time target reached, count at first progress)."""
    first: float | None = None
    first_count = 0
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        n = counted(engine)
        if n and first is None:
            first, first_count = time.monotonic(), n
        if n >= target:
            return first, time.monotonic(), first_count
        time.sleep(0.05)
    raise SystemExit(f"only {counted(engine)} of {target} counted in {timeout_s}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap", default=os.environ.get("MIXFLOW_KAFKA__BOOTSTRAP", "127.0.0.1:9092")
    )
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--rate", type=int, default=1000, help="decisions/s in the lag phase")
    parser.add_argument("--lag-seconds", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="flows-bench-"))
    url = args.database_url or f"sqlite:///{state / 'bench.db'}"
    engine = create_engine_for(url)
    migrate(url)
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    kafka = KafkaSettings(bootstrap=args.bootstrap, partitions=args.partitions, topic_prefix=prefix)
    ensure_topics(kafka, [(topic_name(kafka, t), False) for t in (DECISIONS, CASES_CHANGES)])
    ensure_topics(kafka, [(topic_name(kafka, FLOWS_AGGREGATES), True)])

    start = datetime.now(UTC) - timedelta(days=3)
    backlog = decisions(args.events, start, seed=1)
    steady = decisions(args.rate * args.lag_seconds, start + timedelta(days=1), seed=2)
    producer = KafkaProducer(
        bootstrap_servers=args.bootstrap, acks="all", linger_ms=5, batch_size=256 * 1024
    )
    for key, value in backlog:
        producer.send(topic_name(kafka, DECISIONS), key=key, value=value)
    producer.flush()

    env = {
        **os.environ,
        "MIXFLOW_ENVIRONMENT": "test",
        "MIXFLOW_LOG_LEVEL": "WARNING",
        "MIXFLOW_STATE_DIR": str(state),
        "MIXFLOW_DATABASE_URL": url,
        "MIXFLOW_KAFKA__BOOTSTRAP": args.bootstrap,
        "MIXFLOW_KAFKA__TOPIC_PREFIX": prefix,
        "MIXFLOW_KAFKA__PARTITIONS": str(args.partitions),
        "MIXFLOW_FLOWS__PUBLISH_INTERVAL_S": "1.0",
    }
    log = (state / "flows.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "flows"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        first, done, first_count = wait_for(engine, args.events, timeout_s=600)
        rate = (args.events - first_count) / (done - first) if first and done > first else None
        with engine.connect() as connection:
            rows = connection.execute(select(func.count()).select_from(FlowCellRow)).scalar_one()

        # Lag: publish at a steady rate; a decision's lag is when the stored total reaches it.
        sent_at: list[float] = []
        reached: list[float | None] = [None] * len(steady)
        base = counted(engine)
        t0 = time.monotonic()
        for i, (key, value) in enumerate(steady):
            target = t0 + i / args.rate
            while time.monotonic() < target:
                time.sleep(0.0005)
            producer.send(topic_name(kafka, DECISIONS), key=key, value=value)
            sent_at.append(time.monotonic())
            if i % 200 == 0:
                producer.flush(timeout=5)
                _mark(engine, base, reached)
        producer.flush()
        deadline = time.monotonic() + 120
        while reached[-1] is None and time.monotonic() < deadline:
            _mark(engine, base, reached)
            time.sleep(0.05)
        lags = [r - s for r, s in zip(reached, sent_at, strict=True) if r is not None]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        producer.close()
    result = {
        "benchmark": "flows-service",
        "at": datetime.now(UTC).isoformat(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "partitions": args.partitions,
        "events": args.events,
        "events_per_s": round(rate, 1) if rate else None,
        "cell_rows_per_event": round(rows / args.events, 3),
        "lag_phase": {
            "rate_per_s": args.rate,
            "decisions": len(steady),
            "lag_s_p50": round(statistics.median(lags), 3) if lags else None,
            "lag_s_p95": round(sorted(lags)[int(0.95 * (len(lags) - 1))], 3) if lags else None,
            "lag_s_max": round(max(lags), 3) if lags else None,
            "publish_interval_s": 1.0,
        },
        "database": engine.dialect.name,
    }
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "results" / f"flows-service-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


def _mark(engine: Engine, base: int, reached: list[float | None]) -> None:
    now = time.monotonic()
    n = counted(engine) - base
    for i in range(min(n, len(reached))):
        if reached[i] is None:
            reached[i] = now


if __name__ == "__main__":
    main()
