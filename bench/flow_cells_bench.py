"""Flow-cell benchmark: the database's time per decision counted, old cell key against new.

Two databases on the project's PostgreSQL cluster, one at migration 0008 (cells keyed by
partition first, plus a second index for the history queries) and one at the head (keyed in
query order, one index, fillfactor 80). Each round routes a fresh set of synthetic mixed-flow
events (stamped now, so their cells are the current windows, as in a running stack) and counts
their decisions into both with the flows service's own `FlowCounter`, in batches of its default
size; the order alternates between rounds and the tables grow as a running store does. Reported
per decision: CPU of the database server (all its processes) and of this process. Starts (or
reuses) the cluster and stops it if it started it. Prints JSON and writes
bench/results/flow-cells-<UTC>.json.
Run: .venv/bin/python bench/flow_cells_bench.py [--decisions N] [--rounds R]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.casework_bench import STATE
from schemas.envelope import parse_structured
from services.adapters import local_postgres
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.settings import FlowsSettings, PostgresSettings, Settings
from services.adapters.worker import tune_gc
from services.flows.counting import FlowCounter
from services.flows.store import FlowCellStore
from services.router.app import DEFAULT_RULES_DIR
from services.router.rulesets import load_default
from services.stack.bench_e2e import fresh_events, postgres_server, server_cpu

ROOT = Path(__file__).resolve().parents[1]
REVISION = {"partition_first": "0008", "query_order": "head"}
TOPIC = "decisions"


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    value: bytes


def decisions(count: int, seed: int) -> list[Record]:
    """Decisions of the default ruleset for fresh events, spread over four partitions."""
    ruleset, now = load_default(DEFAULT_RULES_DIR), datetime.now(UTC)
    routed = (
        ruleset.route(parse_structured(e.value, now=now), now=now)
        for e in fresh_events(count, seed)
    )
    return [Record(TOPIC, index % 4, d.to_json()) for index, d in enumerate(routed)]


def count_round(
    counter: FlowCounter, records: list[Record], batch: int, server: psutil.Process
) -> dict[str, float]:
    """Count `records` as the service does; CPU per decision of the server and of this process."""
    server_before, own_before = server_cpu(server), time.process_time()
    for at in range(0, len(records), batch):
        counter.count(records[at : at + batch], now=datetime.now(UTC))
    return {
        "server_us_per_decision": (server_cpu(server) - server_before) / len(records) * 1e6,
        "worker_us_per_decision": (time.process_time() - own_before) / len(records) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=6000, help="decisions per round")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    pg = PostgresSettings(port=55432)
    pg_started = local_postgres.up(pg, STATE)
    batch = FlowsSettings().batch_size
    runs: dict[str, list[dict[str, float]]] = {layout: [] for layout in REVISION}
    tune_gc()  # as `serve flows` runs
    try:
        with ExitStack() as databases:
            counters: dict[str, FlowCounter] = {}
            for layout, revision in REVISION.items():
                url = databases.enter_context(local_postgres.scratch_database(pg, "bench"))
                migrate(url, revision)
                store = FlowCellStore(create_engine_for(url))
                counters[layout] = FlowCounter(
                    store, decisions_topic=TOPIC, grace=timedelta(hours=1)
                )
            server = postgres_server(Settings(database_url=url))
            assert server is not None, "the cluster runs on this machine"
            for round_ in range(args.rounds):
                records = decisions(args.decisions, seed=100 + round_)
                order = list(REVISION) if round_ % 2 == 0 else list(reversed(REVISION))
                for layout in order:
                    runs[layout].append(count_round(counters[layout], records, batch, server))
                    print(layout, json.dumps(runs[layout][-1]), file=sys.stderr)
    finally:
        if pg_started:
            local_postgres.down(pg, STATE)

    def median(layout: str, field: str) -> float:
        return round(statistics.median(r[field] for r in runs[layout]), 1)

    pairs = list(zip(runs["partition_first"], runs["query_order"], strict=True))
    result = {
        "measured_at": datetime.now(UTC).isoformat(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "decisions_per_round": args.decisions,
        "rounds": args.rounds,
        "batch": batch,
        "median": {layout: {f: median(layout, f) for f in runs[layout][0]} for layout in runs},
        "rounds_where_query_order_costs_the_server_less": sum(
            new["server_us_per_decision"] < old["server_us_per_decision"] for old, new in pairs
        ),
        "runs": runs,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"flow-cells-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    less = "rounds_where_query_order_costs_the_server_less"
    print(json.dumps({"median": result["median"], less: result[less]}, indent=2))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
