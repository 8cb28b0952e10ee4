"""`mixflow kafka up/down/status` behave as documented: idempotent, clean stop, clear failures."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import CACHE_DIR, REPO


def _mixflow(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _env(state: Path, port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "MIXFLOW_STATE_DIR": str(state),
        "MIXFLOW_CACHE_DIR": str(CACHE_DIR),
        "MIXFLOW_KAFKA__BOOTSTRAP": f"127.0.0.1:{port}",
        "MIXFLOW_KAFKA__CONTROLLER_PORT": str(port + 1),
        **extra,
    }


def _brokers_using(config: Path) -> int:
    count = 0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            count += "kafka.Kafka" in cmdline and str(config) in cmdline
    return count


def test_up_twice_leaves_one_broker_and_down_stops_it(tmp_path: Path) -> None:
    env = _env(tmp_path, 19292)
    config = tmp_path / "kafka-19292" / "server.properties"
    try:
        first = _mixflow(["kafka", "up"], env)
        assert first.returncode == 0, first.stderr
        assert "started" in first.stdout
        second = _mixflow(["kafka", "up"], env)
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        assert _brokers_using(config) == 1
        assert _mixflow(["kafka", "status"], env).returncode == 0
    finally:
        down = _mixflow(["kafka", "down"], env)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert _brokers_using(config) == 0
    assert _mixflow(["kafka", "status"], env).returncode == 1


def test_a_broker_that_cannot_start_reports_why_and_where_its_log_is(tmp_path: Path) -> None:
    # A heap below the JVM's minimum makes the broker exit at once.
    env = _env(tmp_path, 19392, MIXFLOW_KAFKA__HEAP="1k")
    result = _mixflow(["kafka", "up"], env)
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "exited during start-up" in message
    assert "heap" in message.lower()
    assert "server.log" in message
    _mixflow(["kafka", "down"], env)
