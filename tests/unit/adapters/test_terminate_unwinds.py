"""SIGTERM inside `terminate_unwinds` runs cleanup, as a benchmark stopping its broker needs."""

import signal
import subprocess
import sys
from pathlib import Path

PROGRAM = """
import sys, time
from pathlib import Path
from services.adapters.processes import terminate_unwinds
marker = Path(sys.argv[1])
with terminate_unwinds():
    try:
        print("ready", flush=True)
        time.sleep(60)
    finally:
        marker.write_text("cleaned up")
"""


def test_sigterm_runs_finally_blocks_and_exits_143(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, str(marker)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM
    assert marker.read_text() == "cleaned up"


def test_the_previous_handler_is_restored() -> None:
    from services.adapters.processes import terminate_unwinds

    before = signal.getsignal(signal.SIGTERM)
    with terminate_unwinds():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
