"""A worker's output is its JSON log lines at the configured level, nothing else."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def test_a_worker_logs_json_lines_at_its_level_only(kafka_broker: str, tmp_path: Path) -> None:
    log = tmp_path / "router.log"
    env = {
        **os.environ,
        "MIXFLOW_ENVIRONMENT": "test",
        "MIXFLOW_LOG_LEVEL": "INFO",
        "MIXFLOW_STATE_DIR": str(tmp_path),
        "MIXFLOW_KAFKA__BOOTSTRAP": kafka_broker,
        "MIXFLOW_KAFKA__TOPIC_PREFIX": f"logs{uuid.uuid4().hex[:8]}.",
    }
    command = [sys.executable, "-m", "services.cli", "serve", "router"]
    with log.open("wb") as out:
        worker = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while b"routing with ruleset" not in log.read_bytes():
                assert worker.poll() is None, log.read_text(errors="replace")[-2000:]
                assert time.monotonic() < deadline, "the router did not start in 90 s"
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
    lines = [line for line in log.read_bytes().splitlines() if line.strip()]
    records = [orjson.loads(line) for line in lines]  # every line is JSON (no spinner, no copy)
    assert {r["level"] for r in records} <= {"INFO", "WARNING", "ERROR", "CRITICAL"}
    assert min(LEVELS[r["level"]] for r in records) == LEVELS["INFO"]
    started = [r for r in records if r["message"].startswith("routing with ruleset")]
    assert len(started) == 1  # one handler: each record is written once
