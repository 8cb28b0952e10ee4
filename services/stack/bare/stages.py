"""The bare pipeline's two stages, each its own process (`python -m services.stack.bare.stages`).

A stage prints `ready` once it holds its partitions, then, when it has handled `--expected`
records, one JSON line: how many, when it committed the last (`at`, Unix seconds) and the CPU
seconds it spent from `ready` on (imports, the ruleset's compilation and joining the group are
paid once per process, not per event).
"""

import argparse
import asyncio
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from psycopg.types.json import Jsonb
from sqlalchemy import Table, insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from schemas.envelope import parse_kafka
from schemas.errors import ContractError
from services.adapters.db.engine import create_engine_for
from services.adapters.db.mapping import REFERRAL_COLUMNS, REFERRAL_TYPES
from services.adapters.db.tables import CaseRow, ReferralRow
from services.adapters.kafka import aiokafka_options
from services.adapters.settings import Settings
from services.domain.cases.ids import case_id_for, referral_id_for
from services.domain.rules import CompiledRuleset, compile_ruleset, load_ruleset
from services.stack.infrastructure import RULES_DIR

BATCH = 2000
"""Records a stage fetches, routes or writes at once (casework's default batch)."""
CASE_COLUMNS = ("case_id", "person_ref", "household_ref", "opened_at", "updated_at", "last_seq")
CASE_TYPES = ("text", "text", "text", "timestamptz", "timestamptz", "int4")
Row = tuple[Any, ...]
Writer = Callable[[list[Row], list[Row]], None]
"""Writes a batch's case rows and referral rows in one transaction."""


def _consumer(settings: Settings, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=BATCH,
        **aiokafka_options(settings.kafka),
    )


async def _hold_partitions(consumer: AIOKafkaConsumer) -> float:
    """Join the group and say so (the flood is published once both stages are ready); the CPU
    seconds spent until then."""
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    print("ready", flush=True)
    return _cpu_s()


async def route_stage(
    settings: Settings, source: str, sink: str, expected: int
) -> tuple[int, float]:
    """Parse, validate and route each event with the default ruleset; produce its decision."""
    path = RULES_DIR / "default.yaml"
    loaded = load_ruleset(path.read_text(), str(path))
    ruleset = compile_ruleset(loaded.ruleset, loaded.source)
    consumer = _consumer(settings, source, f"{source}.route")
    producer = AIOKafkaProducer(
        acks="all",
        linger_ms=5,
        enable_idempotence=True,
        max_batch_size=256 * 1024,
        **aiokafka_options(settings.kafka),
    )
    await consumer.start()
    await producer.start()
    done = 0
    try:
        ready = await _hold_partitions(consumer)
        while done < expected:
            fetched = await consumer.getmany(timeout_ms=200, max_records=BATCH)
            sent = await send_routed(fetched, ruleset, producer, sink)
            if sent:
                await asyncio.gather(*sent)
                await consumer.commit()
                done += len(sent)
    finally:
        await consumer.stop()
        await producer.stop()
    return done, _cpu_s() - ready


async def send_routed(
    fetched: Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]],
    ruleset: CompiledRuleset,
    producer: AIOKafkaProducer,
    sink: str,
) -> list[asyncio.Future[Any]]:
    """Route every valid event of a fetch and send its decision to `sink`, keyed as the event;
    the sends' futures, one per decision. An event that breaks its contract is skipped.

    The body of the plainest loop (`bench/peers/aiokafka_loop.py` calls it too)."""
    now = datetime.now(UTC)
    sent = []
    for records in fetched.values():
        for record in records:
            try:
                event = parse_kafka(record.headers, record.value, now=now)
            except ContractError:
                continue
            decision = ruleset.route(event, now=now).to_json()
            sent.append(await producer.send(sink, decision, key=record.key))
    return sent


def rows_of(decision: bytes) -> tuple[Row, list[Row]]:
    """A decision's case row and referral rows (`REFERRAL_COLUMNS`), straight from its JSON."""
    d = orjson.loads(decision)
    person, decision_id = d["person_ref"], d["decision_id"]
    case_id = case_id_for(person)
    at = datetime.fromisoformat(d["decided_at"])
    ruleset = d["ruleset"]
    referrals = [
        (
            *(referral_id_for(decision_id, r["pathway"]), case_id, person, decision_id),
            *(r["pathway"], r["framework"], r["receiving_actor"], d["agency"], False),
            *(r["urgency"], r["sla_hours"], at, at + timedelta(hours=r["sla_hours"])),
            *("pending", at, None, ruleset["id"], ruleset["version"], ruleset["digest"]),
            *(r["rule_id"], r["matched"], r.get("safeguard", False)),
        )
        for r in d["referrals"]
    ]
    return (case_id, person, d.get("household_ref"), at, at, 1), referrals


async def store_stage(
    settings: Settings, source: str, write: Writer, expected: int
) -> tuple[int, float]:
    """Write each fetched batch's case rows and referral rows, then commit its offsets."""
    consumer = _consumer(settings, source, f"{source}.store")
    await consumer.start()
    done = 0
    try:
        ready = await _hold_partitions(consumer)
        while done < expected:
            fetched = await consumer.getmany(timeout_ms=200, max_records=BATCH)
            cases: dict[str, Row] = {}
            referrals: list[Row] = []
            for records in fetched.values():
                for record in records:
                    case, issued = rows_of(record.value or b"")
                    cases[case[0]] = case
                    referrals += issued
                    done += 1
            if cases:
                await asyncio.to_thread(write, list(cases.values()), referrals)
                await consumer.commit()
    finally:
        await consumer.stop()
    return done, _cpu_s() - ready


def postgres_writer(url: str, schema: str) -> Writer:
    """Binary COPY, as casework writes: cases staged then upserted, referrals appended."""
    conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql", 1))
    conn.execute(f'SET search_path TO "{schema}"')
    conn.execute("CREATE TEMP TABLE stage_cases (LIKE cases) ON COMMIT DELETE ROWS")
    conn.commit()
    cases_copy = f"COPY stage_cases ({', '.join(CASE_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    referrals_copy = f"COPY referrals ({', '.join(REFERRAL_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    matched = REFERRAL_COLUMNS.index("matched")

    def write(cases: list[Row], referrals: list[Row]) -> None:
        with conn.cursor() as cursor:
            with cursor.copy(cases_copy) as copy:
                copy.set_types(list(CASE_TYPES))
                for case in cases:
                    copy.write_row(case)
            cursor.execute(
                "INSERT INTO cases SELECT * FROM stage_cases ON CONFLICT (case_id) DO UPDATE "
                "SET household_ref = coalesce(excluded.household_ref, cases.household_ref), "
                "updated_at = excluded.updated_at, last_seq = cases.last_seq + 1"
            )
            with cursor.copy(referrals_copy) as copy:
                copy.set_types(list(REFERRAL_TYPES))
                for row in referrals:
                    copy.write_row((*row[:matched], Jsonb(row[matched]), *row[matched + 1 :]))
        conn.commit()

    return write


def sqlite_writer(url: str) -> Writer:
    """Executemany through the tables' own types, as casework writes on SQLite."""
    engine = create_engine_for(url)
    cases: Table = CaseRow.__table__  # type: ignore[attr-defined]
    referrals: Table = ReferralRow.__table__  # type: ignore[attr-defined]
    upsert = sqlite_insert(cases)
    upsert = upsert.on_conflict_do_update(
        index_elements=["case_id"],
        set_={"updated_at": upsert.excluded.updated_at, "last_seq": cases.c.last_seq + 1},
    )

    def write(case_rows: list[Row], referral_rows: list[Row]) -> None:
        with engine.begin() as conn:
            conn.execute(upsert, [dict(zip(CASE_COLUMNS, row, strict=True)) for row in case_rows])
            conn.execute(
                insert(referrals),
                [dict(zip(REFERRAL_COLUMNS, row, strict=True)) for row in referral_rows],
            )

    return write


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.stack.bare.stages")
    parser.add_argument("stage", choices=("route", "store"))
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", help="route: the decisions topic")
    parser.add_argument("--database-url", help="store: where the rows go")
    parser.add_argument("--schema", default="public", help="store, PostgreSQL: the tables' schema")
    parser.add_argument("--expected", type=int, required=True)
    args = parser.parse_args(argv)
    settings = Settings()
    if args.stage == "route":
        done, cpu = asyncio.run(route_stage(settings, args.source, args.sink, args.expected))
    else:
        url: str = args.database_url
        sqlite = url.startswith("sqlite")
        write = sqlite_writer(url) if sqlite else postgres_writer(url, args.schema)
        done, cpu = asyncio.run(store_stage(settings, args.source, write, args.expected))
    print(orjson.dumps({"done": done, "at": time.time(), "cpu_s": cpu}).decode())


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
