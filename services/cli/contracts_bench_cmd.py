"""`mixflow bench contracts`: how fast events are parsed, guarded and generated.

Prints JSON and writes `bench/results/contracts-<UTC>.json`. Each figure is the best of
`--repeat` runs over the same synthetic events, so a busy machine understates less.
"""

import json
import platform
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import typer

from schemas.envelope import HEADER_OF, parse_binary, parse_structured
from services.domain.synthetic import PROFILES, generate

START = datetime(2025, 1, 1, tzinfo=UTC)


def contracts(
    events: int = typer.Option(20000, "--events", "-n", min=100, help="Events per run."),
    repeat: int = typer.Option(3, "--repeat", min=1, help="Runs per figure; the best counts."),
    seed: int = typer.Option(7, "--seed", help="Seed of the synthetic events."),
    out_dir: Path = typer.Option(Path("bench/results"), "--out-dir", help="Where to write JSON."),
) -> None:
    """Parse+validate rate from JSON bytes (with and without the identifier guard), binary
    mode, and the synthetic generator's rate."""
    now = datetime.now(UTC)
    profile = PROFILES["mixed"]

    def produce() -> list[bytes]:
        stream = generate(profile, random.Random(seed), start=START, count=events)
        return [orjson.dumps(event) for event in stream]

    raws = produce()
    binaries = [_binary(raw) for raw in raws]
    figures: dict[str, Any] = {
        "benchmark": "contracts",
        "at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "events": events,
        "mean_event_bytes": round(sum(map(len, raws)) / len(raws)),
        "structured_guarded_per_s": _rate(events, repeat, lambda: _parse(raws, now, True)),
        "structured_unguarded_per_s": _rate(events, repeat, lambda: _parse(raws, now, False)),
        "binary_guarded_per_s": _rate(events, repeat, lambda: _parse_binary(binaries, now)),
        "generate_per_s": _rate(events, repeat, produce),
    }
    guarded, unguarded = figures["structured_guarded_per_s"], figures["structured_unguarded_per_s"]
    figures["guard_cost_pct"] = round(100.0 * (unguarded / guarded - 1.0), 1)
    text = json.dumps(figures, indent=2)
    typer.echo(text)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"contracts-{now:%Y%m%dT%H%M%SZ}.json").write_text(text + "\n", "utf-8")


def _rate(events: int, repeat: int, run: Callable[[], object]) -> int:
    best = min(_seconds(run) for _ in range(repeat))
    return round(events / best)


def _seconds(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def _parse(raws: list[bytes], now: datetime, guard: bool) -> None:
    for raw in raws:
        parse_structured(raw, now=now, guard=guard)


def _parse_binary(binaries: list[tuple[dict[str, bytes], bytes]], now: datetime) -> None:
    for headers, value in binaries:
        parse_binary(headers, value, now=now)


def _binary(raw: bytes) -> tuple[dict[str, bytes], bytes]:
    event = orjson.loads(raw)
    headers = {HEADER_OF[k]: str(v).encode() for k, v in event.items() if k in HEADER_OF}
    return headers, orjson.dumps(event["data"])
