"""`up`, `down` and `status` of the whole local stack."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from services.adapters.settings import Settings
from services.stack import infrastructure
from services.stack.catalogue import service_specs
from services.stack.supervisor import RunFiles, ServiceSpec, running, start, stop

Report = Callable[[str], None]


class StackError(RuntimeError):
    """A part of the stack did not become ready; the message names it and its log."""


@dataclass(frozen=True, slots=True)
class ServiceState:
    name: str
    pid: int | None
    ready: bool
    endpoint: str
    log: str


def run_files(settings: Settings) -> RunFiles:
    return RunFiles(settings.state_dir / "stack")


def up(settings: Settings, report: Report, *, timeout_s: float = 120.0) -> list[ServiceState]:
    pid, started = infrastructure.start_broker(settings)
    report(f"kafka {'started' if started else 'running'} (pid {pid}) on {settings.kafka.bootstrap}")
    url = infrastructure.prepare_database(settings)
    report(f"database migrated ({url.split('://', 1)[0]})")
    created = infrastructure.create_topics(settings)
    report(f"topics ready ({len(created)} created)")
    if infrastructure.publish_default_ruleset(settings):
        report("default ruleset published to mixflow.rules")
    infrastructure.ensure_stack_tokens(settings, url)
    files = run_files(settings)
    specs = service_specs(settings)
    for spec in specs:
        service_pid, fresh = start(spec, files, {})
        report(f"{spec.name:10} {'started' if fresh else 'running'} (pid {service_pid})")
    _wait_ready(specs, files, timeout_s)
    return status(settings)


def _wait_ready(specs: list[ServiceSpec], files: RunFiles, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    pending = list(specs)
    while pending and time.monotonic() < deadline:
        for spec in list(pending):
            if running(spec, files) is None:
                raise StackError(f"{spec.name} exited during start-up; see {files.log(spec.name)}")
            if spec.ready():
                pending.remove(spec)
        time.sleep(0.5)
    if pending:
        names = ", ".join(s.name for s in pending)
        raise StackError(f"not ready after {timeout_s:.0f} s: {names}; logs in {files.root}/logs")


def status(settings: Settings) -> list[ServiceState]:
    files = run_files(settings)
    states = []
    for spec in service_specs(settings):
        pid = running(spec, files)
        states.append(
            ServiceState(
                spec.name,
                pid,
                pid is not None and spec.ready(),
                spec.endpoint,
                str(files.log(spec.name)),
            )
        )
    return states


def down(settings: Settings, report: Report, *, keep_broker: bool = False) -> None:
    files = run_files(settings)
    for spec in reversed(service_specs(settings)):
        if stop(spec, files):
            report(f"{spec.name:10} stopped")
    if not keep_broker and infrastructure.stop_broker(settings):
        report("kafka stopped")
