"""`mixflow up --demo` reaches its summary on a stack of its own; `mixflow down` leaves nothing.

The stack here is a real one: its own broker (ports 29092/29093), SQLite database, state folder
and API ports, so it never touches a developer's stack or the test broker.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import CACHE_DIR, REPO


def _env(state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MIXFLOW_STATE_DIR": str(state),
        "MIXFLOW_CACHE_DIR": str(CACHE_DIR),
        "MIXFLOW_KAFKA__BOOTSTRAP": "127.0.0.1:29092",
        "MIXFLOW_KAFKA__CONTROLLER_PORT": "29093",
        "MIXFLOW_KAFKA__PARTITIONS": "2",
        "MIXFLOW_API__INGEST_PORT": "28081",
        "MIXFLOW_API__CASES_PORT": "28082",
        "MIXFLOW_API__FLOWS_PORT": "28083",
        "MIXFLOW_API__RULES_PORT": "28084",
        "COLUMNS": "200",
    }


def _mixflow(
    args: list[str], env: dict[str, str], timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _processes_of(state: Path) -> list[int]:
    """Pids started for this stack: the broker names the state folder on its command line, the
    services carry it in their environment."""
    marker = str(state).encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker in cmdline or b"MIXFLOW_STATE_DIR=" + marker in environ:
            found.append(int(proc.name))
    return found


def test_up_with_demo_reaches_its_summary_and_down_leaves_no_process(tmp_path: Path) -> None:
    env = _env(tmp_path)
    try:
        up = _mixflow(["up", "--demo", "--events", "300"], env, timeout=600)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        summary = re.search(
            r"(\d+) events sent, (\d+) processed into cases, (\d+) dead letters",
            " ".join(up.stdout.split()),
        )
        assert summary, up.stdout[-3000:]
        sent, processed, letters = (int(g) for g in summary.groups())
        assert sent == 300 and processed + letters == sent and processed > 0
        assert "ASYLUM_PROCEDURE" in up.stdout
        assert _mixflow(["status"], env).returncode == 0
    finally:
        down = _mixflow(["down"], env)
    assert down.returncode == 0, down.stderr
    assert _processes_of(tmp_path) == []
