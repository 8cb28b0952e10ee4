"""The flows service as a real worker process on the real broker, with its own topics and DB."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kafka import KafkaProducer
from pydantic import BaseModel
from sqlalchemy import Engine

from schemas.topics import CASES_CHANGES, DECISIONS, FLOWS_AGGREGATES
from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.kafka import ensure_topics, topic_name
from services.adapters.settings import FlowsSettings, KafkaSettings, Settings
from tests.conftest import REPO

PARTITIONS = 2


def prepare_database(url: str) -> Engine:
    """Migrate a fresh database as a deployment would."""
    migrate(url)
    return create_engine_for(url)


@dataclass
class FlowsStack:
    settings: Settings
    engine: Engine
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    producer: KafkaProducer = field(init=False)

    def __post_init__(self) -> None:
        self.producer = KafkaProducer(
            bootstrap_servers=self.settings.kafka.bootstrap, acks="all", linger_ms=5
        )

    def topic(self, canonical: str) -> str:
        return topic_name(self.settings.kafka, canonical)

    def start(self) -> None:
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "flows"],
            cwd=REPO,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def publish(self, canonical: str, records: Sequence[BaseModel]) -> None:
        for record in records:
            key = record.person_ref.encode()  # type: ignore[attr-defined]
            self.producer.send(
                self.topic(canonical), key=key, value=record.model_dump_json().encode()
            )
        self.producer.flush()

    def wait_until(self, check: Callable[[], bool], timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if check():
                return
            assert self.process is None or self.process.poll() is None, self.tail()
            time.sleep(0.3)
        raise AssertionError(f"condition not reached in {timeout_s}s\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@pytest.fixture
def flows_stack(kafka_broker: str, pg_url: str, tmp_path: Path) -> Iterator[FlowsStack]:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    kafka = KafkaSettings(bootstrap=kafka_broker, partitions=PARTITIONS, topic_prefix=prefix)
    flows = FlowsSettings(grace_s=3600)
    settings = Settings(kafka=kafka, database_url=pg_url, state_dir=tmp_path, flows=flows)
    ensure_topics(kafka, [(topic_name(kafka, t), False) for t in (DECISIONS, CASES_CHANGES)])
    ensure_topics(kafka, [(topic_name(kafka, FLOWS_AGGREGATES), True)])
    engine = prepare_database(pg_url)
    env = {
        **os.environ,
        "MIXFLOW_ENVIRONMENT": "test",
        "MIXFLOW_LOG_LEVEL": "WARNING",
        "MIXFLOW_STATE_DIR": str(tmp_path),
        "MIXFLOW_DATABASE_URL": pg_url,
        "MIXFLOW_KAFKA__BOOTSTRAP": kafka_broker,
        "MIXFLOW_KAFKA__TOPIC_PREFIX": prefix,
        "MIXFLOW_KAFKA__PARTITIONS": str(PARTITIONS),
        "MIXFLOW_FLOWS__GRACE_S": "3600",
        "MIXFLOW_FLOWS__PUBLISH_INTERVAL_S": "0.5",
    }
    stack = FlowsStack(settings, engine, env, tmp_path / "flows.log")
    yield stack
    stack.stop()
    stack.producer.close()
    engine.dispose()
