"""Rules simulation benchmark: impact of a draft on 100,000 generated events, time and memory.

The sample is generated into a JSONL file first (not timed), then the simulation streams it as
`mixflow rules simulate --events` does: parse each line, route it with the draft and with the
active ruleset, compare. Reports wall and CPU time, events per second, and peak memory twice:
the process's peak RSS, and the peak of Python allocations during the simulation (tracemalloc,
in a second pass over a tenth of the sample and over all of it, to show that memory does not
grow with the sample). Prints JSON and writes bench/results/rules-simulation-<UTC>.json.
Run: .venv/bin/python bench/rules_simulation_bench.py [--events N] [--seed S]
"""

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.domain.rules import compile_ruleset, load_ruleset  # noqa: E402
from services.domain.rules.engine import CompiledRuleset  # noqa: E402
from services.domain.ruleset_admin import ImpactReport, simulate  # noqa: E402
from services.domain.synthetic import PROFILES, generate  # noqa: E402
from services.rules_admin.samples import events_from_file  # noqa: E402

DRAFT_CHANGE = "skills-recognition"
"""The draft drops this rule of the shipped ruleset (a change with a visible impact)."""


def rulesets() -> tuple[CompiledRuleset, CompiledRuleset]:
    path = ROOT / "routing_rules" / "default.yaml"
    active = load_ruleset(path.read_text(), str(path)).ruleset
    draft = active.model_copy(
        update={
            "version": active.version + 1,
            "rules": [r for r in active.rules if r.id != DRAFT_CHANGE],
        }
    )
    return compile_ruleset(draft), compile_ruleset(active)


def write_sample(path: Path, count: int, seed: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(days=30)
    with path.open("wb") as out:
        for event in generate(
            PROFILES["mixed"], Random(seed), start=start, count=count, per_day=5000
        ):
            out.write(orjson.dumps(event) + b"\n")


def run(path: Path) -> ImpactReport:
    draft, active = rulesets()
    return simulate(events_from_file(path, datetime.now(UTC)), draft, active)


def traced_peak(path: Path) -> int:
    tracemalloc.start()
    run(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sample, tenth = Path(folder) / "sample.jsonl", Path(folder) / "tenth.jsonl"
        write_sample(sample, args.events, args.seed)
        write_sample(tenth, args.events // 10, args.seed)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        wall, cpu = time.perf_counter(), time.process_time()
        report = run(sample)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_tenth, peak_full = traced_peak(tenth), traced_peak(sample)
    result = {
        "benchmark": "rules-simulation",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "events": args.events,
        "seed": args.seed,
        "draft_change": f"rule {DRAFT_CHANGE} removed",
        "routed": report.events,
        "skipped": report.skipped,
        "changed": report.changed,
        "pathways": {p.pathway: {"gained": p.gained, "lost": p.lost} for p in report.pathways},
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "events_per_s": round(args.events / wall),
        "peak_rss_mib": round(rss_after / 1024, 1),
        "peak_rss_growth_mib": round((rss_after - rss_before) / 1024, 1),
        "traced_peak_mib": {
            f"{args.events // 10}_events": round(peak_tenth / 2**20, 2),
            f"{args.events}_events": round(peak_full / 2**20, 2),
        },
    }
    text = json.dumps(result, indent=2)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"rules-simulation-{stamp}.json").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
