"""Outbox benchmark: what the relay costs the database per row, deleting against marking.

Rows are the real outbox rows of the router's decisions for synthetic mixed-flow events, written
by `apply_decisions`. Each round writes them to two fresh databases, one at migration 0007 (rows
marked published, `published_at` indexed) and one at the head (rows deleted once published), and
drains both the way each relay does: take the oldest rows, then mark or delete them, one
transaction per round of `--batch` rows. The order alternates between rounds. Reported per row:
the take and the mark/delete, in µs of wall time on this machine's loopback (the server's work,
round trips included), and the WAL each wrote. Starts (or reuses) the project's PostgreSQL
cluster and stops it if it started it. Prints JSON and writes bench/results/outbox-<UTC>.json.
Run: .venv/bin/python bench/outbox_bench.py [--decisions N] [--rounds R] [--batch B]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from alembic import command

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.casework_bench import STATE, decisions
from schemas.decisions import DecisionV1
from services.adapters import local_postgres
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import alembic_config
from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.adapters.settings import PostgresSettings
from services.casework.directory import load_directory
from services.domain.cases import apply_decisions

ROOT = Path(__file__).resolve().parents[1]
_READ = "id, message_id, topic, key, payload"  # what the relay reads
TAKE = {
    "mark": f"SELECT {_READ} FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT %s",
    "delete": f"SELECT {_READ} FROM outbox ORDER BY id LIMIT %s",
}
FINISH = {
    "mark": "UPDATE outbox SET published_at = now() WHERE id = ANY(%s)",
    "delete": "DELETE FROM outbox WHERE id = ANY(%s)",
}
REVISION = {"mark": "0007", "delete": "head"}


@contextmanager
def database(pg: PostgresSettings, revision: str, made: list[DecisionV1]) -> Iterator[str]:
    """A fresh database at `revision` holding the outbox rows of `made`."""
    with local_postgres.scratch_database(pg, "bench") as url:
        command.upgrade(alembic_config(url), revision)
        engine = create_engine_for(url)
        sessions, directory, now = session_factory_for(engine), load_directory(), datetime.now(UTC)
        for at in range(0, len(made), 2000):  # the worker's default batch
            apply_decisions(
                SqlUnitOfWork(sessions), made[at : at + 2000], directory=directory, now=now
            )
        engine.dispose()
        yield url


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def drain(url: str, mode: str, batch: int) -> dict[str, float]:
    """Drain the outbox like the relay of `mode`; µs per row and WAL bytes per row."""
    with psycopg.connect(_libpq(url)) as conn:
        wal_before = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        conn.commit()
        take = finish = 0.0
        rows = 0
        while True:
            started = time.perf_counter()
            ids = [row[0] for row in conn.execute(TAKE[mode], (batch,)).fetchall()]
            take += time.perf_counter() - started
            if not ids:
                conn.commit()
                break
            started = time.perf_counter()
            conn.execute(FINISH[mode], (ids,))
            conn.commit()
            finish += time.perf_counter() - started
            rows += len(ids)
        query = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)"
        wal = float(conn.execute(query, (wal_before,)).fetchone()[0])  # type: ignore[index]
    return {
        "rows": rows,
        "take_us_per_row": take / rows * 1e6,
        f"{mode}_us_per_row": finish / rows * 1e6,
        "wal_bytes_per_row": wal / rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--batch", type=int, default=1500, help="rows per relay round")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    pg = PostgresSettings(port=55432)
    pg_started = local_postgres.up(pg, STATE)
    try:
        made = decisions(args.decisions, args.seed)
        runs: dict[str, list[dict[str, float]]] = {"mark": [], "delete": []}
        for round_ in range(args.rounds):
            for mode in ("mark", "delete") if round_ % 2 == 0 else ("delete", "mark"):
                with database(pg, REVISION[mode], made) as url:
                    runs[mode].append(drain(url, mode, args.batch))
                    print(mode, json.dumps(runs[mode][-1]), file=sys.stderr)
    finally:
        if pg_started:
            local_postgres.down(pg, STATE)

    def median(mode: str, field: str) -> float:
        return round(statistics.median(r[field] for r in runs[mode]), 2)

    result = {
        "measured_at": datetime.now(UTC).isoformat(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "decisions": args.decisions,
        "batch": args.batch,
        "rounds": args.rounds,
        "median": {
            "mark": {f: median("mark", f) for f in runs["mark"][0] if f != "rows"},
            "delete": {f: median("delete", f) for f in runs["delete"][0] if f != "rows"},
        },
        "runs": runs,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"outbox-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["median"], indent=2))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
