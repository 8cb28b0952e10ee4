"""A casework worker killed (SIGKILL) in the middle of a stream and restarted loses nothing.

The worker runs as `python -m services.cli serve casework`, configured by `MIXFLOW_*` variables
for the test's broker, topic prefix and a fresh PostgreSQL database. It is killed once some
decisions are in the database and before all of them are; after a restart the database holds
every decision exactly once and `cases.changes` holds every change (a copy only under the same
message id, with the same content).
"""

import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from schemas.topics import CASES_CHANGES, DECISIONS
from services.adapters.db.tables import OutboxRow, TimelineRow
from tests.integration.casework.conftest import (
    REPO,
    Stack,
    counts,
    publish_decisions,
    read_topic,
    wait_for,
)
from tests.unit.cases.builders import decision, person

DECISIONS_SENT = 3_000


def start_worker(stack: Stack, state_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    settings = stack.settings
    env = os.environ | {
        "MIXFLOW_KAFKA__BOOTSTRAP": settings.kafka.bootstrap,
        "MIXFLOW_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix,
        "MIXFLOW_DATABASE_URL": str(settings.database_url),
        "MIXFLOW_STATE_DIR": str(state_dir),
        "MIXFLOW_CASEWORK__BATCH_SIZE": "300",
        "MIXFLOW_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "casework"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_a_worker_killed_mid_stream_and_restarted_keeps_every_decision_and_change_once(
    kafka_broker, stack, tmp_path
):
    decisions = [decision(f"e{n}", person(n % 2000)) for n in range(DECISIONS_SENT)]
    publish_decisions(kafka_broker, stack.topic(DECISIONS), decisions)
    log = tmp_path / "worker.log"

    first = start_worker(stack, tmp_path, log)
    try:
        _wait(first, lambda: counts(stack.engine)[0] >= 600, log, "a first part of the stream")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert counts(stack.engine)[0] < DECISIONS_SENT, "killed too late to prove anything"

    second = start_worker(stack, tmp_path, log)
    try:
        _wait(second, lambda: counts(stack.engine)[0] == DECISIONS_SENT, log, "every decision")
        wait_for(lambda: _unpublished(stack) == 0, 60, "the outbox drained")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    processed, cases, referrals = counts(stack.engine)
    assert (processed, cases, referrals) == (DECISIONS_SENT, 2000, 2 * DECISIONS_SENT)
    with stack.engine.connect() as connection:
        recorded = (
            connection.execute(
                select(TimelineRow.event_id).where(TimelineRow.kind == "event_recorded")  # type: ignore[arg-type]
            )
            .scalars()
            .all()
        )
        # Every timeline entry but `decision_made` is published, as `<case_id>/<seq>`.
        entries = select(TimelineRow.case_id, TimelineRow.seq).where(  # type: ignore[call-overload]
            TimelineRow.kind != "decision_made"  # type: ignore[arg-type]
        )
        expected = {f"{case}/{seq}" for case, seq in connection.execute(entries)}
    assert sorted(recorded) == sorted(d.event_id for d in decisions)

    copies: dict[str, set[bytes]] = defaultdict(set)
    for record in read_topic(kafka_broker, stack.topic(CASES_CHANGES), idle_s=5):
        copies[dict(record.headers)["message-id"].decode()].add(record.value)
    assert set(copies) == expected
    assert all(len(values) == 1 for values in copies.values())


def _wait(
    worker: subprocess.Popen[bytes], condition: Callable[[], bool], log: Path, what: str
) -> None:
    try:
        wait_for(lambda: worker.poll() is not None or condition(), 90, what)
        assert worker.poll() is None, "the worker exited"
    except AssertionError:
        raise AssertionError(f"{what}; worker log:\n{log.read_text()[-3000:]}") from None


def _unpublished(stack: Stack) -> int:
    with stack.engine.connect() as connection:
        return len(connection.execute(select(OutboxRow.id)).all())
