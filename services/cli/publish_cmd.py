"""`mixflow publish FILE --via http|kafka`: send a JSONL file of CloudEvents, report what happened.

A progress bar while sending, the throughput at the end, retries with backoff on what can
succeed later, and a non-zero exit with a summary of the reasons when any event was refused.
"""

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from schemas.topics import EVENTS_INBOUND
from services.adapters.kafka import topic_name
from services.cli.output import fail, load_settings
from services.ingest.client import Backoff, IngestClient, KafkaPublisher, Rejection, Report

console = Console(stderr=True)
NOT_JSON = {"path": "", "reason": "line is not a JSON object", "kind": "malformed_json"}


def publish(
    file: Path = typer.Argument(..., help="JSONL file of CloudEvents (one per line), or -."),
    via: str = typer.Option("http", "--via", help="http (the ingest API) or kafka (direct)."),
    url: str | None = typer.Option(None, "--url", help="Ingest API base URL (default: local)."),
    token: str | None = typer.Option(
        None, "--token", envvar="MIXFLOW_INGEST_TOKEN", help="Bearer token (http)."
    ),
    batch_size: int = typer.Option(200, "--batch-size", min=1, help="Events per HTTP request."),
    mode: str = typer.Option("structured", "--mode", help="Kafka mode: structured | binary."),
    validate: bool = typer.Option(True, "--validate/--no-validate", help="Check before sending."),
    retries: int = typer.Option(5, "--retries", min=0, help="Retries of a failed send."),
) -> None:
    """Publish every event of FILE; exit 1 with a summary when any was refused."""
    if via not in {"http", "kafka"} or mode not in {"structured", "binary"}:
        fail("--via is http or kafka; --mode is structured or binary", code=2)
    settings = load_settings()
    lines = _lines(file)
    events, unreadable = _events(lines)
    backoff = Backoff(retries=retries)
    began = time.perf_counter()
    with _progress(len(lines)) as bar:
        task = bar.add_task("publishing", total=len(lines))
        bar.advance(task, len(unreadable))

        def advance(count: int) -> None:
            bar.advance(task, count)

        if via == "http":
            if not token:
                fail("--via http needs --token (or MIXFLOW_INGEST_TOKEN)", code=2)
            base = url or f"http://{settings.api.host}:{settings.api.ingest_port}"
            with IngestClient(base, token, backoff=backoff) as client:
                report = client.publish_many(
                    (e for _, e in events), batch_size=batch_size, progress=advance
                )
        else:
            topic = topic_name(settings.kafka, EVENTS_INBOUND)
            publisher = KafkaPublisher(
                settings.kafka,
                topic,
                mode="binary" if mode == "binary" else "structured",
                validate=validate,
                backoff=backoff,
            )
            try:
                report = publisher.publish_many((e for _, e in events), progress=advance)
            finally:
                publisher.close()
    elapsed = time.perf_counter() - began
    _summarise(report, events, unreadable, elapsed)


def _lines(file: Path) -> list[bytes]:
    if str(file) == "-":
        raw = sys.stdin.buffer.read()
    elif not file.is_file():
        fail(f"{file}: no such file", code=2)
    else:
        raw = file.read_bytes()
    return [line for line in raw.splitlines() if line.strip()]


def _events(lines: list[bytes]) -> tuple[list[tuple[int, Any]], list[int]]:
    """(line number, event) of the readable lines, and the numbers of the unreadable ones."""
    events, unreadable = [], []
    for number, line in enumerate(lines, start=1):
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            event = None
        if isinstance(event, dict):
            events.append((number, event))
        else:
            unreadable.append(number)
    return events, unreadable


def _progress(total: int) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=total == 0,
    )


def _summarise(
    report: Report, events: list[tuple[int, Any]], unreadable: list[int], elapsed: float
) -> None:
    rejected: list[tuple[int, Rejection]] = [
        (number, Rejection(-1, 0, (NOT_JSON,))) for number in unreadable
    ]
    rejected += [(events[r.index][0], r) for r in report.rejected]
    total = len(report.accepted) + len(rejected)
    rate = len(report.accepted) / elapsed if elapsed > 0 else 0.0
    typer.echo(
        f"accepted {len(report.accepted)} of {total} events in {elapsed:.2f} s "
        f"({rate:,.0f} events/s); rejected {len(rejected)}"
    )
    if not rejected:
        return
    kinds = Counter(str(p.get("kind", "?")) for _, r in rejected for p in r.problems or [{}])
    typer.echo("rejected by reason: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    for number, rejection in sorted(rejected)[:20]:
        reasons = "; ".join(
            f"{p.get('path') or '$'}: {p.get('reason', '')}" for p in rejection.problems
        )
        status = f"HTTP {rejection.status} " if rejection.status else ""
        typer.echo(f"  line {number}: {status}{reasons or rejection.title}")
    if len(rejected) > 20:
        typer.echo(f"  ... and {len(rejected) - 20} more")
    raise typer.Exit(1)
