"""Background service processes: start with a pid file and a log, check, stop by pid."""

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.adapters.processes import is_alive, is_ours, read_pid, stop_process


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One service of the stack: how to run it and how to tell it is ready."""

    name: str
    command: tuple[str, ...]
    ready: Callable[[], bool]
    endpoint: str = ""


@dataclass(frozen=True, slots=True)
class RunFiles:
    root: Path

    def pid(self, name: str) -> Path:
        return self.root / "run" / f"{name}.pid"

    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"


def _marker(name: str) -> str:
    # Every process we start carries this argument, so a pid is only ever signalled when the
    # process behind it is really ours (pids are reused after a reboot or a crash).
    return f"--mixflow-service={name}"


def start(spec: ServiceSpec, files: RunFiles, env: dict[str, str]) -> tuple[int, bool]:
    """Start the service unless ours already runs; (pid, started_now)."""
    pid = read_pid(files.pid(spec.name))
    if pid is not None and is_ours(pid, _marker(spec.name)):
        return pid, False
    files.pid(spec.name).parent.mkdir(parents=True, exist_ok=True)
    files.log(spec.name).parent.mkdir(parents=True, exist_ok=True)
    with files.log(spec.name).open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *spec.command],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **env, "MIXFLOW_SERVICE_MARKER": _marker(spec.name)},
            start_new_session=True,
            pass_fds=(),
        )
    files.pid(spec.name).write_text(str(process.pid))
    return process.pid, True


def running(spec: ServiceSpec, files: RunFiles) -> int | None:
    pid = read_pid(files.pid(spec.name))
    if pid is not None and is_alive(pid) and _is_marked(pid, spec.name):
        return pid
    return None


def _is_marked(pid: int, name: str) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"MIXFLOW_SERVICE_MARKER={_marker(name)}".encode() in environ


def stop(spec: ServiceSpec, files: RunFiles) -> bool:
    pid = running(spec, files)
    files.pid(spec.name).unlink(missing_ok=True)
    if pid is None:
        return False
    stop_process(pid, timeout_s=20.0)
    return True
