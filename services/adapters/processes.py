"""Starting and stopping the local servers this project runs itself (broker, PostgreSQL).

A pid file records what we started; we only ever signal a process whose pid file we wrote and
whose command line still names our own configuration, so a stale pid never hits a stranger.
"""

import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def process_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def is_ours(pid: int | None, marker: str) -> bool:
    """True when `pid` is alive and its command line contains `marker` (our config path)."""
    if pid is None:
        return False
    cmdline = process_cmdline(pid)
    return bool(cmdline) and marker in cmdline and not _is_zombie(pid)


def is_alive(pid: int) -> bool:
    """True while the process exists and has not exited (a zombie has exited)."""
    return Path(f"/proc/{pid}").exists() and not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def stop_process(pid: int, *, timeout_s: float = 30.0) -> bool:
    """SIGTERM, wait for a clean exit, SIGKILL after `timeout_s`. True if it stopped cleanly."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            _reap(pid)
            return True
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    _reap(pid)
    return False


def _reap(pid: int) -> None:
    # Children of this very process must be reaped or they linger as zombies.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        return sock.connect_ex((host, port)) == 0


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def terminate_unwinds() -> Iterator[None]:
    """Inside, SIGTERM ends the program as Ctrl-C does: `finally` blocks and context managers
    run, so what a long command started (a broker, services, a scratch database) is stopped.

    Python's default for SIGTERM is to die at once, which left a benchmark's own broker running
    when the benchmark was stopped with `kill` or by a CI timeout.
    """

    def unwind(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
