"""`mixflow up | down | status | demo`: the whole stack on this machine."""

import json
import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from services.adapters.settings import mask_url
from services.cli.output import fail, load_settings
from services.stack import demo as demo_run
from services.stack import infrastructure
from services.stack.infrastructure import tokens_file
from services.stack.lifecycle import StackError, down, status, up
from services.stack.readiness import group_ready, http_ready

console = Console()


def stack_up(
    with_demo: bool = typer.Option(
        False, "--demo", help="Run `mixflow demo` once the stack is up."
    ),
    events: int = typer.Option(2000, "--events", min=1, help="Events the demo sends."),
) -> None:
    """Start the broker, database and every service in the background; wait until all are ready."""
    settings = load_settings()
    try:
        states = up(settings, console.print)
    except StackError as exc:
        fail(str(exc))
    table = Table("service", "pid", "ready", "endpoint", title="mixflow is up")
    for state in states:
        table.add_row(state.name, str(state.pid), "yes" if state.ready else "no", state.endpoint)
    console.print(table)
    console.print(f"API tokens of the local stack: {tokens_file(settings)} (0600)")
    if with_demo:
        run_demo(events=events, seed=None)


def stack_down(
    keep_broker: bool = typer.Option(False, "--keep-broker", help="Leave Kafka running."),
) -> None:
    """Stop every service `mixflow up` started, then the broker."""
    down(load_settings(), console.print, keep_broker=keep_broker)
    console.print("mixflow is down")


def stack_status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show which services run and are ready; exit 1 if any is not."""
    states = status(load_settings())
    if as_json:
        rows = [
            {"name": s.name, "pid": s.pid, "ready": s.ready, "endpoint": s.endpoint, "log": s.log}
            for s in states
        ]
        typer.echo(json.dumps(rows, indent=2))
    else:
        table = Table("service", "pid", "ready", "endpoint", "log")
        for s in states:
            table.add_row(s.name, str(s.pid or "-"), "yes" if s.ready else "no", s.endpoint, s.log)
        console.print(table)
    if not all(s.ready for s in states):
        raise typer.Exit(1)


def run_demo(
    events: int = typer.Option(2000, "--events", min=1, help="How many events to send."),
    seed: int | None = typer.Option(
        None, "--seed", help="Seed of the generated flow (default: new each run; printed)."
    ),
) -> None:
    """Stream generated events through the running stack and summarise what it did with them."""
    settings = load_settings()
    # A new seed each run: the same seed sends the same event ids, which mixflow rightly
    # drops as re-sent duplicates.
    seed = seed if seed is not None else time.time_ns() % 1_000_000_007
    console.print(f"demo seed {seed}")
    if not all(s.ready for s in status(settings)):
        fail("the stack is not running; start it with `mixflow up`")
    before = demo_run.baseline(settings)
    started = time.monotonic()
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("publishing events", total=events)
        sent = demo_run.publish(
            settings,
            demo_run.demo_events(events, seed, demo_run.now_utc()),
            lambda n: progress.advance(task, n),
        )
    with console.status("waiting for the pipeline to process them"):
        summary = demo_run.wait_and_summarise(settings, sent, started, before)
    _print_summary(summary)
    if summary.events_processed + summary.dead_letters < summary.events_sent:
        fail("not every event was processed in time; see `mixflow status` and the service logs")


def _print_summary(summary: demo_run.DemoSummary) -> None:
    console.print(
        f"\n[bold]{summary.events_sent}[/bold] events sent, [bold]{summary.events_processed}"
        f"[/bold] processed into cases, [bold]{summary.dead_letters}[/bold] dead letters, "
        f"in {summary.seconds:.1f} s"
    )
    table = Table("pathway", "referrals", title=f"{summary.cases} cases in the system")
    for pathway, count in summary.referrals_by_pathway.items():
        table.add_row(pathway, str(count))
    console.print(table)
    frameworks = ", ".join(f"{k}: {v}" for k, v in sorted(summary.by_framework.items()))
    console.print(f"referrals by framework: {frameworks}")
    console.print(f"aggregate cells published for monitoring: {summary.aggregate_cells}")


def stack_init() -> None:
    """Prepare a deployment: migrate the database, create topics, publish the default ruleset."""
    settings = load_settings()
    try:
        url = infrastructure.prepare_database(settings)
        created = infrastructure.create_topics(settings)
        published = infrastructure.publish_default_ruleset(settings)
    except Exception as exc:  # the first failure is reported once, without a traceback
        fail(f"initialisation failed: {type(exc).__name__}: {exc}")
    console.print(
        f"database at {mask_url(url)} migrated; {len(created)} topics created; "
        + ("default ruleset published" if published else "a ruleset was already published")
    )


def health_group(
    name: str = typer.Argument(..., help="Consumer group, without topic prefix."),
) -> None:
    """Exit 0 when the consumer group is stable with members (a worker's health check)."""
    kafka = load_settings().kafka
    if not group_ready(kafka, f"{kafka.topic_prefix}{name}"):
        fail(f"consumer group {name} has no active members")
    typer.echo("ok")


def health_url(url: str = typer.Argument(..., help="URL to GET, e.g. /healthz/ready.")) -> None:
    """Exit 0 when the URL answers below 500 (an API's health check)."""
    if not http_ready(url):
        fail(f"{url} is not ready")
    typer.echo("ok")
