"""Casework benchmark: decisions persisted per second into PostgreSQL, by handler and service.

Decisions are the router's real output for synthetic mixed-flow events (default ruleset). Two
figures, each on a fresh database: `apply_decisions` called directly in batches (the handler
alone), and the casework worker end to end (Kafka -> PostgreSQL + outbox -> cases.changes, until
every decision is stored and every change published). Starts (or reuses) the test broker and
PostgreSQL cluster, stops what it started. Prints JSON and writes
bench/results/casework-<UTC>.json.
Run: .venv/bin/python bench/casework_bench.py [--decisions N] [--batch B]
"""

import argparse
import asyncio
import json
import platform
import resource
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

import orjson
from kafka import KafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schemas.decisions import DecisionV1
from schemas.envelope import parse_structured
from schemas.topics import ALERTS, CASES_CHANGES, DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES
from services.adapters import local_kafka, local_postgres
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import CaseworkSettings, KafkaSettings, PostgresSettings, Settings
from services.adapters.worker import tune_gc
from services.casework.app import CaseworkService
from services.casework.directory import load_directory
from services.domain.cases import apply_decisions
from services.domain.rules import compile_ruleset, load_ruleset
from services.domain.synthetic import PROFILES, generate

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".state" / "test"
CACHE = Path.home() / ".cache" / "mixflow"


def decisions(count: int, seed: int) -> list[DecisionV1]:
    path = ROOT / "routing_rules" / "default.yaml"
    loaded = load_ruleset(path.read_text(), str(path))
    ruleset = compile_ruleset(loaded.ruleset, loaded.source)
    now = datetime.now(UTC)
    start = now - timedelta(days=400)
    events = generate(PROFILES["mixed"], Random(seed), start=start, count=count, per_day=5000)
    return [
        ruleset.route(parse_structured(orjson.dumps(e), now=now), now=now).to_contract()
        for e in events
    ]


@contextmanager
def fresh_database(pg: PostgresSettings) -> Iterator[str]:
    """A migrated, empty database for one phase, dropped after it."""
    with local_postgres.scratch_database(pg, "bench") as url:
        migrate(url)
        yield url


def handler_alone(url: str, batch: list[DecisionV1], size: int) -> float:
    engine = create_engine_for(url)
    sessions = session_factory_for(engine)
    directory = load_directory()
    now = datetime.now(UTC)
    started = time.perf_counter()
    for at in range(0, len(batch), size):
        apply_decisions(
            SqlUnitOfWork(sessions), batch[at : at + size], directory=directory, now=now
        )
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


async def through_service(settings: Settings, total: int) -> tuple[float, int]:
    service = CaseworkService(settings)
    started = time.perf_counter()
    task = asyncio.create_task(service.run())
    while service.decisions < total or service.outbox.pending() > 0:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    service.stop()
    await task
    published = service.relay.published
    service.engine.dispose()
    return elapsed, published


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    kafka = KafkaSettings(
        bootstrap="127.0.0.1:19092", controller_port=19093, partitions=4,
        topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
    )  # fmt: skip
    pg = PostgresSettings(port=55432)
    paths = local_kafka.broker_paths(kafka, STATE, CACHE)
    _, kafka_started = local_kafka.up(kafka, paths)
    pg_started = local_postgres.up(pg, STATE)
    resources = ExitStack()
    try:
        made = decisions(args.decisions, args.seed)
        referrals = sum(len(d.referrals) for d in made)
        # `serve casework` runs under these collector settings (worker_app); without them the
        # collections walk the decisions held here and slow both phases by about a third.
        tune_gc()
        with fresh_database(pg) as url:
            alone = handler_alone(url, made, args.batch)

        url = resources.enter_context(fresh_database(pg))
        canonical = (DECISIONS, REFERRAL_UPDATES, CASES_CHANGES, ALERTS, EVENTS_DEADLETTER)
        ensure_topics(kafka, [(topic_name(kafka, t), False) for t in canonical])
        producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", linger_ms=20)
        for d in made:
            producer.send(topic_name(kafka, DECISIONS), d.model_dump_json().encode(),
                          key=d.person_ref.encode())  # fmt: skip
        producer.flush()
        producer.close()
        settings = Settings(
            kafka=kafka, database_url=url, casework=CaseworkSettings(batch_size=args.batch)
        )
        service_s, published = asyncio.run(through_service(settings, len(made)))
    finally:
        resources.close()
        if pg_started:
            local_postgres.down(pg, STATE)
        if kafka_started:
            local_kafka.down(paths)

    result = {
        "benchmark": "casework",
        "at": datetime.now(UTC).isoformat(),
        "decisions": len(made),
        "referrals": referrals,
        "batch_size": args.batch,
        "gc": "worker settings (services.adapters.worker.tune_gc)",
        "handler_alone": {"seconds": round(alone, 3), "decisions_per_s": round(len(made) / alone)},
        "service": {
            "seconds": round(service_s, 3),
            "decisions_per_s": round(len(made) / service_s),
            "changes_published": published,
            "includes": "worker start, consume, DB commit, outbox publish and mark, offsets",
        },
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
    }
    text = json.dumps(result, indent=2)
    print(text)
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"casework-{stamp}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
