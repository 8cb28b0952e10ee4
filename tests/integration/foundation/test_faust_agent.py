"""A Faust worker with a table runs against the real broker and counts per key."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer

from tests.conftest import REPO, TopicFactory


def test_a_faust_agent_with_a_table_counts_messages_per_key(
    kafka_broker: str, topic_factory: TopicFactory, tmp_path: Path
) -> None:
    source, sink = topic_factory("faust-in"), topic_factory("faust-out")
    env = {
        **os.environ,
        "SAMPLE_APP_ID": f"sample-{uuid.uuid4().hex[:8]}",
        "SAMPLE_BROKER": kafka_broker,
        "SAMPLE_DATADIR": str(tmp_path / "faust"),
        "SAMPLE_IN": source,
        "SAMPLE_OUT": sink,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "faust",
            "-A",
            "tests.integration.foundation.faust_counter_app",
            "worker",
            "-l",
            "warn",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        producer = KafkaProducer(bootstrap_servers=kafka_broker, acks="all")
        for key in ["a", "b", "a", "c", "a", "b"]:
            producer.send(source, key=f'"{key}"'.encode(), value=b"x")
        producer.flush()
        producer.close()

        consumer = KafkaConsumer(
            sink,
            bootstrap_servers=kafka_broker,
            auto_offset_reset="earliest",
            consumer_timeout_ms=60_000,
        )
        seen: list[tuple[bytes, bytes]] = []
        for record in consumer:
            seen.append((record.key, record.value))
            if len(seen) == 6:
                break
        consumer.close()
    finally:
        worker.terminate()
        output = worker.communicate(timeout=60)[0].decode(errors="replace")
    assert len(seen) == 6, output[-3000:]
    final = {key: int(value) for key, value in seen}
    assert final == {b'"a"': 3, b'"b"': 2, b'"c"': 1}
