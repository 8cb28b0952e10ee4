"""Faults injected while a steady stream flows: the pipeline loses and duplicates nothing.

Router, casework and flows run as real worker processes (`mixflow serve`), two casework workers
share a consumer group, on a broker (ports 29092/29093) and a PostgreSQL cluster (port 25532)
of this test only. During the stream, at seeded random points, each of
`MIXFLOW_RELIABILITY_ROUNDS` rounds (1 in CI) injects: (a) SIGKILL and restart of a worker of
each service (the first round kills all three a moment apart, later rounds one at a time, each
waited out); (d, first round) one of the two casework workers killed for good, so the other must
take its partitions over; (b) the broker stopped and started again; (c) PostgreSQL stopped and
started again. After the stream the services must have
recovered by themselves (still running, consumer lag 0) and every sent event must have exactly
one decision, one processed event, one timeline entry, its referrals once and one count in the
flows, or a dead letter with a reason.
"""

import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from random import Random
from typing import Any

import pytest
from sqlalchemy import text

from schemas.topics import EVENTS_INBOUND
from services.adapters import local_kafka, local_postgres
from services.adapters.settings import KafkaSettings, PostgresSettings
from tests.conftest import CACHE_DIR
from tests.reliability.conftest import PipelineFactory
from tests.reliability.pipeline import (
    SERVICES,
    Pipeline,
    Stream,
    check,
    faults_in,
    generated_events,
    rounds,
    wait_until,
)

SEED = 11
RATE_PER_S = 50.0
START_TIMEOUT_S = 120.0
RECOVER_TIMEOUT_S = 120.0
SETTLE_TIMEOUT_S = 180.0


def _consuming(pipeline: Pipeline, services: tuple[str, ...]) -> None:
    """Wait until every service's group has committed offsets on some of its inputs."""

    def committed() -> bool:
        for service in services:
            assert pipeline.running(service), pipeline.logs()
            if not any(done >= 0 for done, _ in pipeline.lag(service).values()):
                return False
        return True

    wait_until(committed, START_TIMEOUT_S, "every service consuming")


def _backlog_done(pipeline: Pipeline, services: tuple[str, ...]) -> Callable[[], bool]:
    """True once each service has processed everything its inputs held right now."""
    ends = {s: {tp: end for tp, (_, end) in pipeline.lag(s).items()} for s in services}

    def done() -> bool:
        for service in services:
            lag = pipeline.lag(service)
            if any(lag[tp][0] < end for tp, end in ends[service].items()):
                return False
        return True

    return done


def _unpublished(pipeline: Pipeline) -> int:
    with pipeline.engine.connect() as connection:
        sql = "SELECT count(*) FROM outbox"
        return int(connection.execute(text(sql)).scalar_one())


def _settle(pipeline: Pipeline) -> float:
    return wait_until(
        lambda: _unpublished(pipeline) == 0 and pipeline.total_lag() == 0,
        SETTLE_TIMEOUT_S,
        "lag 0 and the outbox drained",
    )


def _verify(pipeline: Pipeline, stream: Stream, expected_alive: int) -> tuple[Any, float]:
    began = time.monotonic()
    settle_s = _settle(pipeline)
    outcome = check(pipeline, stream.sent)
    if not outcome.ok:  # the flows' last flush may trail the lag by a beat: look once more
        time.sleep(3)
        _settle(pipeline)
        outcome = check(pipeline, stream.sent)
    alive = [w for w in pipeline.workers if w.alive()]
    assert len(alive) == expected_alive, pipeline.logs()
    assert outcome.ok, (outcome.lost[:10], outcome.duplicated[:10], outcome.problems)
    assert outcome.published == len({e["id"] for e in stream.sent}) > 0
    return outcome, max(settle_s, time.monotonic() - began)


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[tuple[KafkaSettings, local_kafka.BrokerPaths]]:
    """A broker of this test only (ports 29092/29093, data under tmp_path), stopped after."""
    # Ports below Linux's ephemeral range (32768-60999): while the broker is down the workers
    # keep reconnecting from ephemeral ports, and one of them once took the broker's own port
    # before it restarted ("Address already in use").
    settings = KafkaSettings(bootstrap="127.0.0.1:29092", controller_port=29093, partitions=4)
    paths = local_kafka.broker_paths(settings, tmp_path / "broker", CACHE_DIR)
    local_kafka.up(settings, paths)
    yield settings, paths
    local_kafka.down(paths)


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[tuple[PostgresSettings, Path]]:
    """A PostgreSQL cluster of this test only (port 25532), its data folder removed after."""
    settings = PostgresSettings(port=25532)
    state = tmp_path / "pg"
    local_postgres.up(settings, state)
    yield settings, state
    local_postgres.down(settings, state)
    shutil.rmtree(local_postgres.data_dir(settings, state), ignore_errors=True)


class Faults:
    """Injects faults into one pipeline and times how long it takes to catch up after each."""

    def __init__(self, pipeline: Pipeline, rng: Random) -> None:
        self.pipeline, self.rng = pipeline, rng
        self.recoveries: dict[str, list[float]] = defaultdict(list)
        self.count = 0

    def _recovered(
        self, kind: str, backlog: Callable[[], bool], restarted: dict[str, set[str]] | None = None
    ) -> None:
        """Recovered: what the inputs held at the fault is processed, and every running worker
        is back in its group (a restarted worker that never joined would go unnoticed else)."""
        pipeline = self.pipeline
        took = wait_until(
            lambda: backlog() and pipeline.joined(SERVICES, restarted or {}),
            RECOVER_TIMEOUT_S,
            f"recovery from {kind}",
        )
        self.recoveries[kind].append(round(took, 1))

    def kill_and_restart(self, services: list[str]) -> None:
        """(a) SIGKILL one worker of each service at staggered random moments, restart it."""
        backlog = _backlog_done(self.pipeline, SERVICES)
        before = {service: self.pipeline.members(service) for service in services}
        for service in services:
            time.sleep(self.rng.uniform(0.2, 2.0))
            self.rng.choice(self.pipeline.running(service)).kill()
            self.count += 1
            self.pipeline.start(service)
        self._recovered("worker kill", backlog, before)

    def lose_a_member(self, service: str) -> None:
        """(d) one of two workers of `service` dies for good: the other takes over."""
        backlog = _backlog_done(self.pipeline, (service,))
        self.rng.choice(self.pipeline.running(service)).kill()
        self.count += 1
        self._recovered("rebalance", backlog)

    def restart_broker(self, settings: KafkaSettings, paths: local_kafka.BrokerPaths) -> None:
        """(b) stop the broker, wait, start it again."""
        backlog = _backlog_done(self.pipeline, SERVICES)
        local_kafka.down(paths)
        self.count += 1
        time.sleep(self.rng.uniform(1.0, 4.0))
        local_kafka.up(settings, paths)
        self._recovered("broker restart", backlog)

    def restart_postgres(self, settings: PostgresSettings, state: Path) -> None:
        """(c) stop PostgreSQL, wait, start it again."""
        backlog = _backlog_done(self.pipeline, SERVICES)
        local_postgres.down(settings, state)
        self.count += 1
        time.sleep(self.rng.uniform(1.0, 4.0))
        local_postgres.up(settings, state)
        self._recovered("postgres restart", backlog)


@pytest.mark.timeout(300 * rounds())
def test_kills_a_lost_member_and_broker_and_database_restarts_lose_and_duplicate_nothing(
    own_broker: tuple[KafkaSettings, local_kafka.BrokerPaths],
    own_postgres: tuple[PostgresSettings, Path],
    pipeline_factory: PipelineFactory,
    reliability_report: list[dict[str, Any]],
) -> None:
    broker, paths = own_broker
    postgres, pg_state = own_postgres
    rng = Random(SEED)
    pipeline = pipeline_factory(broker.bootstrap, postgres.url())
    for service in ("router", "casework", "casework", "flows"):
        pipeline.start(service)
    events = generated_events(int(RATE_PER_S * 120 * (1 + rounds())), SEED)
    stream = Stream(broker.bootstrap, pipeline.topic(EVENTS_INBOUND), events, RATE_PER_S).start()
    faults = Faults(pipeline, rng)
    try:
        _consuming(pipeline, SERVICES)
        time.sleep(rng.uniform(1.0, 3.0))
        for round_ in range(rounds()):
            if round_ == 0:  # all three at once, staggered: one catch-up keeps CI short
                faults.kill_and_restart(rng.sample(SERVICES, len(SERVICES)))
                faults.lose_a_member("casework")
            else:
                for service in faults_in(rng, SERVICES, 1):
                    faults.kill_and_restart([service])
            faults.restart_broker(broker, paths)
            faults.restart_postgres(postgres, pg_state)
        assert stream.running, "the stream ended before the faults did: make it longer"
    finally:
        stream.stop()
    outcome, settle = _verify(pipeline, stream, expected_alive=3)
    reliability_report.append(
        {
            "test": "kills, rebalance, broker and postgres restarts",
            "faults": faults.count,
            "events": outcome.published,
            "dead_letters": outcome.dead_lettered,
            "decided": outcome.decided,
            "lost": len(outcome.lost),
            "duplicated": len(outcome.duplicated),
            "recover_s": [t for times in faults.recoveries.values() for t in times],
            "recovery_by_fault_s": dict(faults.recoveries),
            "resent_batches": stream.resends,
            "settle_s": round(settle, 1),
        }
    )
