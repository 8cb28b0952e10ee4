"""`mixflow generate`: stream synthetic mixed-flow CloudEvents as JSONL to stdout.

Constant memory for any `--count`; the same `--seed`, `--profile` and `--start` give the same
bytes. Events are invented (see `services.domain.synthetic`), never derived from real records.
"""

import random
import sys
from datetime import UTC, datetime, timedelta

import orjson
import typer

from services.cli.output import err_console, fail
from services.domain.synthetic import PROFILES, generate

DEFAULT_START = "2025-01-01T00:00:00Z"
_BUFFER_EVENTS = 512  # write in chunks: one syscall per event would dominate the run time


def generate_events(
    count: int = typer.Option(1000, "--count", "-n", min=0, help="How many events."),
    seed: int = typer.Option(0, "--seed", "-s", help="Random seed: same seed, same stream."),
    profile: str = typer.Option("mixed", "--profile", "-p", help=f"One of: {', '.join(PROFILES)}."),
    start: str = typer.Option(DEFAULT_START, "--start", help="Time of the first event (RFC 3339)."),
    per_day: float | None = typer.Option(
        None, "--per-day", min=1, help="Events per day (default: the profile's rate)."
    ),
) -> None:
    """Write COUNT synthetic arrival and return events (CloudEvents JSONL) to stdout."""
    if profile not in PROFILES:
        fail(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}", code=2)
    begin = _start(start)
    chosen = PROFILES[profile]
    rate = per_day or chosen.per_day
    end = begin + timedelta(days=count / rate)
    if end > datetime.now(UTC):
        err_console.print(
            f"warning: the stream runs to about {end:%Y-%m-%d}; events dated in the future "
            "will be refused by validation (use an earlier --start or a higher --per-day)"
        )
    out = sys.stdout.buffer
    chunk: list[bytes] = []
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for event in generate(chosen, random.Random(seed), start=begin, count=count, per_day=rate):
        chunk.append(dumps(event, option=newline))
        if len(chunk) >= _BUFFER_EVENTS:
            out.write(b"".join(chunk))
            chunk.clear()
    out.write(b"".join(chunk))
    out.flush()


def _start(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        fail("--start is not an RFC 3339 date-time, e.g. 2025-01-01T00:00:00Z", code=2)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
