"""`mixflow rules check`, `mixflow route` and `mixflow bench engine`: the rules engine's shell.

Reads files and streams, keeps time and writes results; every decision is made by the pure core
in `services.domain.rules`.
"""

import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import typer

from schemas.envelope import parse_structured
from schemas.errors import ContractError
from schemas.rules import Finding
from services.adapters.worker import tune_gc
from services.cli.output import fail
from services.domain.rules.compile import compile_ruleset
from services.domain.rules.engine import CompiledRuleset
from services.domain.rules.errors import RuleError
from services.domain.rules.lint import lint_text
from services.domain.rules.load import load_ruleset
from services.domain.rules.synthetic import generate_ruleset, sample_events

app = typer.Typer(help="Check routing rulesets.", no_args_is_help=True)


def _yaml_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.y*ml") if p.name != "directory.yaml")
        else:
            yield path


@app.command("check")
def check(paths: list[Path] = typer.Argument(..., help="Ruleset files or folders.")) -> None:
    """Lint rulesets: print `file:line: severity: rule <id>: message`; exit 1 on any error."""
    findings: list[Finding] = []
    for file in _yaml_files(paths):
        if not file.is_file():
            fail(f"{file}: no such file")
        findings += lint_text(file.read_text(encoding="utf-8"), str(file))
    for finding in findings:
        typer.echo(finding.render())
    errors = sum(finding.severity == "error" for finding in findings)
    typer.echo(f"{errors} error(s), {len(findings) - errors} other finding(s)", err=True)
    if errors:
        raise typer.Exit(1)


def load_compiled(path: Path) -> CompiledRuleset:
    """Load and compile one ruleset file, or exit with its findings."""
    try:
        loaded = load_ruleset(path.read_text(encoding="utf-8"), str(path))
        return compile_ruleset(loaded.ruleset, loaded.source)
    except RuleError as exc:
        for finding in exc.findings:
            typer.echo(finding.render(), err=True)
        raise typer.Exit(1) from None


def route(rules: Path = typer.Option(..., "--rules", help="The ruleset YAML file.")) -> None:
    """Route CloudEvents JSONL from stdin to decision JSONL on stdout; errors go to stderr."""
    compiled = load_compiled(rules)
    out, failures = sys.stdout.buffer, 0
    for number, line in enumerate(sys.stdin.buffer, start=1):
        if not line.strip():
            continue
        now = datetime.now(UTC)
        try:
            event = parse_structured(line, now=now)
        except ContractError as exc:
            failures += 1
            typer.echo(f"line {number}: {exc}", err=True)
            continue
        if event.type not in compiled.plans:
            typer.echo(f"line {number}: {event.type} events are not routed", err=True)
            continue
        decision = compiled.route(event, now=now)
        out.write(decision.to_contract().model_dump_json().encode() + b"\n")
    if failures:
        raise typer.Exit(1)


@dataclass(frozen=True, slots=True)
class _Event:
    """A routable event for timing, so the benchmark measures routing and not parsing."""

    id: str
    source: str
    type: str
    time: datetime
    agency: str
    data: Any


def _events(count: int, seed: int) -> list[_Event]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    pairs = sample_events(count, random.Random(seed))
    return [
        _Event(str(n), "urn:mixflow:agency:BENCH", t, now, "BENCH", d)
        for n, (t, d) in enumerate(pairs)
    ]


def _cpu_us(run: Any, count: int, repeat: int = 3) -> float:
    """CPU microseconds per item of `run()` over `count` items, best of `repeat`: other
    processes on the machine do not inflate it."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time_ns()
        run()
        best = min(best, time.process_time_ns() - start)
    return round(best / count / 1000, 3)


def _time_engine(compiled: CompiledRuleset, events: list[_Event], rules: int) -> dict[str, Any]:
    """`route` per event (what the router calls first), then the decision's way out: the
    validated contract and its JSON (`to_contract`, `model_dump_json`) or `to_json` directly."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    route_one = compiled.route
    # The first pass meets every event's signature for the first time: nothing remembered yet.
    first_pass = _cpu_us(lambda: [route_one(event, now=now) for event in events], len(events), 1)
    samples = []
    clock = time.perf_counter_ns
    for event in events:
        start = clock()
        route_one(event, now=now)
        samples.append(clock() - start)

    def route_all() -> None:
        for event in events:
            route_one(event, now=now)

    mean = _cpu_us(route_all, len(events))
    some = [route_one(event, now=now) for event in events[:2000]]
    contracts = [decision.to_contract() for decision in some]
    return {
        "rules": rules,
        "events": len(events),
        "mean_us": mean,
        "p99_us": round(statistics.quantiles(samples, n=100)[98] / 1000, 3),
        "first_pass_us": first_pass,
        "to_contract_us": _cpu_us(lambda: [d.to_contract() for d in some], len(some)),
        "model_dump_json_us": _cpu_us(lambda: [c.model_dump_json() for c in contracts], len(some)),
        "to_json_us": _cpu_us(lambda: [d.to_json() for d in some], len(some)),
    }


def _zen_peer() -> Any:
    location = Path.cwd() / "bench" / "peers" / "zen_peer.py"
    spec = importlib.util.spec_from_file_location("zen_peer", location)
    if spec is None or spec.loader is None:
        fail(f"{location}: the peer benchmark needs the repository checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _time_peer(events: list[_Event], seed: int, ours: float) -> dict[str, Any]:
    peer = _zen_peer()
    router = peer.ZenRouter(generate_ruleset(100, random.Random(seed)))
    inputs = [(event.type, event.data.model_dump(mode="json")) for event in events]
    compiled = compile_ruleset(generate_ruleset(100, random.Random(seed)))
    agrees = all(
        router.route(t, data) == list(compiled.route(e, now=e.time).pathways)
        for e, (t, data) in zip(events[:500], inputs[:500], strict=True)
    )
    samples = []
    for event_type, data in inputs:
        start = time.process_time_ns()
        router.route(event_type, data)
        samples.append(time.process_time_ns() - start)
    mean = statistics.fmean(samples) / 1000
    return {
        "name": peer.NAME,
        "rules": 100,
        "events": len(inputs),
        "mean_us": round(mean, 3),
        "p99_us": round(statistics.quantiles(samples, n=100)[98] / 1000, 3),
        "ratio": round(mean / ours, 1),
        "agrees": agrees,
    }


def bench_engine(
    events: int = typer.Option(20_000, help="Events routed per ruleset."),
    peer_events: int = typer.Option(2_000, help="Events routed by the (slower) peer engine."),
    seed: int = typer.Option(7, help="Seed of the generated rulesets and events."),
    default: Path = typer.Option(Path("routing_rules/default.yaml"), help="The default ruleset."),
    results: Path = typer.Option(Path("bench/results"), help="Folder for the JSON result."),
) -> None:
    """Time the engine on the default ruleset, 100 and 1,000 generated rules, and ZEN as a peer."""
    sample = _events(events, seed)
    tune_gc()  # the garbage-collection settings the router's worker runs with
    report: dict[str, Any] = {
        "default": _time_engine(load_compiled(default), sample, _rule_count(default))
    }
    for count in (100, 1000):
        compiled = compile_ruleset(generate_ruleset(count, random.Random(seed + count)))
        report[f"rules_{count}"] = _time_engine(compiled, sample, count)
    report["peer"] = _time_peer(sample[:peer_events], seed + 100, report["rules_100"]["mean_us"])
    text = orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"engine-{stamp}.json").write_bytes(text + b"\n")
    typer.echo(text.decode())


def _rule_count(path: Path) -> int:
    return len(load_ruleset(path.read_text(encoding="utf-8"), str(path)).ruleset.rules)
