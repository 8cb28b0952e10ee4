"""One measurement of the bare pipeline: its own topics and tables, its stages, one flood."""

import asyncio
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
from aiokafka import AIOKafkaProducer

from services.adapters.db.migrate import migrate
from services.adapters.kafka import aiokafka_options, ensure_topics
from services.adapters.settings import Settings

SHARED = ("kafka", "database")
"""Processes the bare pipeline shares with the pipeline, whose CPU `cpu_now` reads."""


def measure(
    settings: Settings,
    events: Sequence[tuple[bytes, bytes]],
    cpu_now: Callable[[], dict[str, float]],
    *,
    timeout_s: float = 300.0,
) -> dict[str, Any]:
    """Flood the bare pipeline with `events` (key, value); its throughput and CPU per event.

    `cpu_now` gives the CPU seconds so far of the broker (`kafka`) and of the database server
    (`database`, absent on SQLite), read the way the pipeline's own measurement reads them.
    """
    source, sink = _topics(settings)
    count = str(len(events))
    with bare_tables(settings.effective_database_url, settings.state_dir) as (url, schema):
        store = spawn(
            "store", "--source", sink, "--database-url", url, "--schema", schema,
            "--expected", count,
        )  # fmt: skip
        route = spawn("route", "--source", source, "--sink", sink, "--expected", count)
        try:
            route.await_ready(60.0)
            store.await_ready(60.0)
            before = cpu_now()
            first = asyncio.run(_publish(settings, source, events))
            stages = {stage.name: stage.finish(timeout_s) for stage in (route, store)}
            after = cpu_now()
        finally:
            route.stop()
            store.stop()
    seconds = max(stages["store"]["at"] - first, 1e-3)
    cpu = {name: float(figures["cpu_s"]) for name, figures in stages.items()}
    cpu |= {name: after[name] - before[name] for name in SHARED if name in after}
    per_event = {name: round(used / len(events) * 1000, 3) for name, used in cpu.items()}
    return {
        "throughput_eps": round(len(events) / seconds),
        "events": len(events),
        "seconds_to_last_commit": round(seconds, 2),
        "cpu_ms_per_event": per_event,
        "cpu_ms_per_event_total": round(sum(per_event.values()), 3),
        "does": "validate and route each event, produce its decision; write the case row and "
        "the referral rows, one transaction per fetched batch; commit offsets",
        "leaves_out": "de-duplication, dead letters, decision contract parsing, directory "
        "lookup, processed-event claims, timeline, outbox and case changes, flow aggregates",
    }


@dataclass
class Stage:
    """One stage's process, started by `spawn`."""

    name: str
    process: subprocess.Popen[str]

    def await_ready(self, timeout_s: float) -> None:
        """Wait for its `ready` line; stop it if it exits or stays silent for `timeout_s`."""
        stdout = self.process.stdout
        assert stdout is not None
        # The first line is `ready` or nothing: a readable pipe means a line or the end.
        readable, _, _ = select.select([stdout], [], [], timeout_s)
        if readable and stdout.readline().strip() == "ready":
            return
        self.stop()
        raise RuntimeError(f"the bare pipeline's {self.name} stage did not start")

    def finish(self, timeout_s: float) -> dict[str, Any]:
        """Its figures (its last line) once it exits; stopped if it is not done in time."""
        try:
            out, _ = self.process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"the bare pipeline's {self.name} stage did not finish") from None
        if self.process.returncode != 0 or not out.strip():
            raise RuntimeError(f"the bare pipeline's {self.name} stage failed")
        figures: dict[str, Any] = orjson.loads(out.strip().splitlines()[-1])
        return figures

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def spawn(stage: str, *args: str) -> Stage:
    command = [sys.executable, "-m", "services.stack.bare.stages", stage, *args]
    return Stage(stage, subprocess.Popen(command, stdout=subprocess.PIPE, text=True))


@contextmanager
def bare_tables(url: str, state_dir: Path) -> Iterator[tuple[str, str]]:
    """(database URL, schema) of empty `cases` and `referrals` tables shaped like the real ones.

    On PostgreSQL a schema of their own in the stack's database, copied from the real tables
    with their indexes and checks, and the foreign key added; on SQLite a database of their own.
    Removed afterwards.
    """
    if url.startswith("sqlite"):
        path = state_dir / f"bare-{uuid.uuid4().hex[:8]}.sqlite"
        try:
            migrate(f"sqlite:///{path}")
            yield f"sqlite:///{path}", "main"
        finally:
            path.unlink(missing_ok=True)
        return
    schema = f"bare_{uuid.uuid4().hex[:8]}"
    plain = url.replace("postgresql+psycopg", "postgresql", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(
            f'CREATE SCHEMA "{schema}"; '
            f'CREATE TABLE "{schema}".cases (LIKE public.cases INCLUDING ALL); '
            f'CREATE TABLE "{schema}".referrals (LIKE public.referrals INCLUDING ALL); '
            f'ALTER TABLE "{schema}".referrals ADD CONSTRAINT fk_referrals_case_id '
            f'FOREIGN KEY (case_id) REFERENCES "{schema}".cases (case_id)'
        )
    try:
        yield url, schema
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _topics(settings: Settings) -> tuple[str, str]:
    prefix = f"{settings.kafka.topic_prefix}bare{uuid.uuid4().hex[:6]}."
    source, sink = f"{prefix}inbound", f"{prefix}decisions"
    ensure_topics(settings.kafka, [(source, False), (sink, False)])
    return source, sink


async def _publish(settings: Settings, topic: str, events: Sequence[tuple[bytes, bytes]]) -> float:
    """Send every event at once, as the pipeline's flood is sent; when the first was sent."""
    producer = AIOKafkaProducer(
        acks="all", linger_ms=5, max_batch_size=256 * 1024, **aiokafka_options(settings.kafka)
    )
    await producer.start()
    try:
        first = time.time()
        sent = [await producer.send(topic, value, key=key) for key, value in events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return first
