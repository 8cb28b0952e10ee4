"""`mixflow bench e2e`: the pipeline's end-to-end latency and throughput, and the broker's limit."""

import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

import orjson
import typer
from rich.console import Console

from services.adapters.processes import terminate_unwinds
from services.cli.output import fail, load_settings
from services.stack import bench_e2e as e2e

console = Console()
RESULTS = Path("bench") / "results"


def bench_e2e(
    stack: str = typer.Option(
        "own",
        "--stack",
        help="`own`: start an isolated broker and pipeline for the run and stop "
        "them after; `running`: measure the stack the current settings point at.",
    ),
    events: int = typer.Option(50_000, "--events", min=100, help="Events of the capacity flood."),
    latency_s: float = typer.Option(
        20.0, "--latency-seconds", min=1, help="Length of the paced run."
    ),
    fraction: float = typer.Option(
        0.5, "--fraction", min=0.01, max=1.0, help="Paced rate as a fraction of the capacity."
    ),
    rate: float | None = typer.Option(None, "--rate", min=1, help="Paced rate (events/s)."),
    limit_records: int = typer.Option(
        200_000, "--limit-records", min=1000, help="Records of the Kafka performance tools."
    ),
    partitions: int = typer.Option(4, "--partitions", min=1, help="Partitions (own stack)."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=8, help="Processes of each pipeline service (own stack)."
    ),
    postgres: bool = typer.Option(
        False,
        "--postgres",
        help="Own stack on a fresh database of the project's PostgreSQL "
        "(`mixflow db up`), dropped after the run; default: SQLite in the run's state folder.",
    ),
    bare: bool = typer.Option(
        True,
        "--bare/--no-bare",
        help="Own stack: also flood the bare pipeline (validation, routing and case rows "
        "only) on the same broker and database, the ceiling the pipeline is compared with.",
    ),
    port_base: int = typer.Option(39192, "--port-base", help="First port of the own stack."),
    results: Path = typer.Option(RESULTS, "--results", help="Folder of the JSON result."),
) -> None:
    """Publish generated events and time them to their decision, case row and aggregate."""
    config = e2e.E2eConfig(
        capacity_events=events,
        latency_s=latency_s,
        latency_fraction=fraction,
        latency_rate=rate,
        limit_records=limit_records,
        workers=workers if stack == "own" else None,
        bare=bare and stack == "own",
    )
    if stack == "running":
        settings = load_settings()
        if not e2e.pipeline_running(settings):
            fail("router, casework and flows are not all running; start them with `mixflow up`")
        result = e2e.run(settings, config, console.print)
    elif stack == "own":
        state = Path(tempfile.mkdtemp(prefix="mixflow-e2e-"))
        os.environ.update(e2e.isolated_env(state, port_base, partitions))
        with ExitStack() as resources:
            # Stopped with SIGTERM, the run still stops the broker and services it started.
            resources.enter_context(terminate_unwinds())
            if postgres:
                url = resources.enter_context(e2e.fresh_postgres(load_settings()))
                os.environ["MIXFLOW_DATABASE_URL"] = url
            settings = load_settings()
            console.print(f"own stack in {state} on {settings.kafka.bootstrap}")
            resources.enter_context(e2e.own_pipeline(settings, console.print, workers=workers))
            result = e2e.run(settings, config, console.print)
    else:
        fail("--stack is `own` or `running`")
    path = e2e.write_result(result, results)
    console.print_json(orjson.dumps(result).decode())
    console.print(f"written to {path}")
