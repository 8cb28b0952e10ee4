"""Flow-core benchmark: fold 100k synthetic decisions into the cube, then time a typical rollup.

Pure and in-memory (no Kafka); prints JSON and writes bench/results/flows-core-<UTC>.json.
Run: .venv/bin/python bench/flows_bench.py [--events N] [--seed S]
"""

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.domain.flows.cube import FlowCube
from services.domain.flows.keys import OutcomeObserved, PersonObserved, ReferralMade
from services.domain.flows.rollup import rollup
from services.domain.flows.suppression import suppress_table

PATHWAYS = [
    ReferralMade("ASYLUM_PROCEDURE", "GCR", "high"),
    ReferralMade("CHILD_PROTECTION", "BOTH", "immediate"),
    ReferralMade("MEDICAL_CARE", "BOTH", "normal"),
    ReferralMade("LABOUR_MOBILITY", "GCM", "normal"),
    ReferralMade("INFORMATION_COUNSELLING", "BOTH", "normal"),
    ReferralMade("SMUGGLING_RESPONSE", "GCM", "normal"),
]
REASONS = ["conflict", "persecution", "economic", "family", "climate_disaster"]


def synthetic(n: int, seed: int) -> list[PersonObserved | OutcomeObserved]:
    rng = random.Random(seed)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    out: list[PersonObserved | OutcomeObserved] = []
    for i in range(n):
        ts = start + timedelta(seconds=i * 26)  # ~30 days for 100k events
        referrals = tuple(rng.sample(PATHWAYS, rng.choice([1, 1, 2, 2, 3, 4])))
        if rng.random() < 0.1:
            out.append(
                OutcomeObserved(ts, "ITA", "male", "12-17", "CHILD_PROTECTION", "BOTH",
                                "immediate", rng.choice(["accepted", "overdue"]), True)
            )  # fmt: skip
            continue
        out.append(
            PersonObserved(
                kind="arrival" if rng.random() < 0.85 else "return",
                event_time=ts,
                country=rng.choice(["ITA", "GRC", "ESP", "MLT"]),
                admin1=None,
                site_type=rng.choice(["sea_arrival", "land_border", "reception_centre"]),
                nationality=rng.choice(["SYR", "AFG", "SDN", "TUN", "EGY", "BGD", "ERI", "GIN"]),
                sex=rng.choice(["female", "male"]),
                age_band=rng.choice(["0-4", "5-11", "12-17", "18-24", "25-59", "60+"]),
                legal_status=rng.choice(["asylum_seeker", "irregular_migrant", "none"]),
                protection_signal=rng.random() < 0.4,
                movement_reasons=tuple(rng.sample(REASONS, rng.choice([1, 1, 2]))),
                return_type="assisted_voluntary",
                referrals=referrals,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    events = synthetic(args.events, args.seed)

    cube = FlowCube()
    touched: list[int] = []
    began = time.perf_counter()
    for obs in events:
        folded = cube.fold(obs)
        touched.append(folded.counted + folded.late)
    fold_s = time.perf_counter() - began

    began = time.perf_counter()
    groups = rollup(
        cube.cells,
        measure="referrals",
        granularity="day",
        group_by=["nationality", "pathway"],
        filters={"country": "ITA", "age_band": ("0-4", "5-11", "12-17")},
    )
    rollup_s = time.perf_counter() - began

    rows = sorted({str(k[0]) for k in groups})
    cols = sorted({str(k[1]) for k in groups})
    began = time.perf_counter()
    table = suppress_table({(str(a), str(b)): v for (a, b), v in groups.items()}, rows, cols, 5)
    suppress_s = time.perf_counter() - began

    result = {
        "benchmark": "flows-core",
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "events": len(events),
        "granularities": list(cube.granularities),
        "fold_seconds": round(fold_s, 4),
        "events_per_second": round(len(events) / fold_s),
        "cells_touched_per_event": {
            "mean": round(statistics.fmean(touched), 3),
            "max": max(touched),
        },
        "distinct_cells": len(cube.cells),
        "rollup_query": "referrals by nationality x pathway, ITA children, day cells, all windows",
        "rollup_ms": round(rollup_s * 1000, 2),
        "suppress_table_ms": round(suppress_s * 1000, 2),
        "table_shape": [len(rows), len(cols)],
        "hidden_entries": len(table.hidden),
    }
    text = json.dumps(result, indent=2)
    print(text)
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"flows-core-{stamp}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
