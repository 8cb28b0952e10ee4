"""Short runs of the end-to-end benchmarks, so the measuring code cannot rot unnoticed.

The benchmarks themselves are run by hand (README, Performance); these runs are small enough for
CI and check what every real run must show: no event lost or duplicated, every figure present.
Each run has its own broker on ports below the ephemeral range, and a fresh database.
"""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import psycopg

from services.adapters.processes import port_open
from services.adapters.settings import PostgresSettings
from tests.conftest import CACHE_DIR, REPO
from tests.e2e.test_stack import _processes_of


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "MIXFLOW_CACHE_DIR": str(CACHE_DIR),
        "COLUMNS": "200",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def test_bench_e2e_measures_a_small_run_without_loss(tmp_path: Path, pg_url: str) -> None:
    command = [
        *(sys.executable, "-m", "services.cli", "bench", "e2e"),
        *("--events", "400", "--rate", "40", "--latency-seconds", "3"),
        *("--limit-records", "2000", "--port-base", "29292", "--results", str(tmp_path)),
    ]
    _run(command, _env(MIXFLOW_DATABASE_URL=pg_url))
    [path] = tmp_path.glob("e2e-*.json")
    figures = orjson.loads(path.read_bytes())
    assert (figures["lost"], figures["duplicated"], figures["dead_letters"]) == (0, 0, 0)
    assert figures["published"] == figures["stored_in_processed_events"] == 400 + 120
    latency = figures["latency"]
    assert latency["decision_ms"]["count"] == latency["case_ms"]["count"] == 120
    assert latency["aggregate_ms"]["count"] > 0
    assert figures["throughput_eps"] > 0 and figures["broker_limit"]["producer_eps"] > 0
    assert 0 < figures["fraction_of_broker"]["producer"] < 1
    assert set(figures["services"]) >= {"router", "casework", "flows", "kafka"}
    assert all(service["peak_rss_mb"] > 0 for service in figures["services"].values())
    assert figures["database"]["cpu_s"] > 0  # the local PostgreSQL server, all its processes
    flood_cost = figures["capacity"]["cpu_ms_per_event"]
    assert set(flood_cost) >= {"router", "casework", "flows", "kafka", "database"}
    assert all(cost > 0 for cost in flood_cost.values())
    # The bare pipeline ran on the same broker and database, stored every event, and left no
    # tables behind.
    ceiling = figures["bare_pipeline"]
    assert ceiling["events"] == 400 and ceiling["throughput_eps"] > 0
    assert set(ceiling["cpu_ms_per_event"]) == {"route", "store", "kafka", "database"}
    assert figures["fraction_of_bare_pipeline"] > 0
    assert _bare_schemas(pg_url) == []


def _bare_schemas(url: str) -> list[str]:
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql", 1)) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bare\\_%'"
        ).fetchall()
    return [name for (name,) in rows]


def test_bench_e2e_stopped_with_sigterm_stops_what_it_started(tmp_path: Path) -> None:
    command = [
        *(sys.executable, "-m", "services.cli", "bench", "e2e"),
        *("--events", "30000", "--latency-seconds", "3", "--limit-records", "2000"),
        *("--port-base", "29392", "--results", str(tmp_path)),
    ]
    proc = subprocess.Popen(
        command, cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    state, lines = None, []
    for line in proc.stdout:
        lines.append(line)
        if found := re.search(r"own stack in (\S+) on", line):
            state = Path(found.group(1))
        if line.startswith("capacity:"):
            break
    assert state is not None, "".join(lines)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=180) == 128 + signal.SIGTERM
    assert _processes_of(state) == []
    assert not port_open("127.0.0.1", 29392)
    assert list(tmp_path.glob("e2e-*.json")) == []


def test_soak_bench_runs_the_pipeline_to_every_event_stored(
    tmp_path: Path, pg_server: PostgresSettings
) -> None:
    command = [
        *(sys.executable, "bench/soak_bench.py", "--events", "1500", "--backlog", "500"),
        *("--port-base", "29492", "--results", str(tmp_path)),
    ]
    _run(command, _env(MIXFLOW_POSTGRES__PORT=str(pg_server.port)))
    [path] = tmp_path.glob("soak-*.json")
    figures = orjson.loads(path.read_bytes())
    assert figures["lost"] == 0 and figures["dead_letters"] == 0
    assert figures["stored_in_processed_events"] == figures["decision_records"] == 1500
    assert set(figures["rss_mb"]) == {"router", "casework", "flows"}
    assert len(figures["rss_mb_by_tenth"]) == 10
    assert figures["rss_mb_by_tenth"][-1]["stored"] == 1500
