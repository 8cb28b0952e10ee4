"""Fixtures of the fault-injection suite: a pipeline on its own prefix, and the run's report.

The report collects one row per fault test (faults injected, events, lost, duplicated, time to
recover) and, at the end of the session, prints it as a table and writes it to
`bench/results/reliability-<UTC timestamp>.json`.
"""

import json
import os
import platform
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.stack.infrastructure import create_topics
from tests.conftest import REPO
from tests.reliability.pipeline import Pipeline, new_settings, rounds

RESULTS = REPO / "bench" / "results"
COLUMNS = (
    "test",
    "faults",
    "events",
    "dead_letters",
    "lost",
    "duplicated",
    "recover_s",
    "settle_s",
)

PipelineFactory = Callable[[str, str], Pipeline]


@pytest.fixture(scope="session")
def reliability_report() -> Iterator[list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    yield rows
    if not rows:
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "recorded_at": stamp,
        "rounds": rounds(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": rows,
    }
    (RESULTS / f"reliability-{stamp}.json").write_text(json.dumps(document, indent=2) + "\n")
    widths = [max(len(c), *(len(_cell(r[c])) for r in rows)) for c in COLUMNS]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines += [
        "  ".join(_cell(r[c]).ljust(w) for c, w in zip(COLUMNS, widths, strict=True)) for r in rows
    ]
    print("\nreliability\n" + "\n".join(lines))


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "/".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in value) or "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@pytest.fixture
def pipeline_factory(tmp_path: Path) -> Iterator[PipelineFactory]:
    """Builds pipelines on a broker and database; stops their workers and drops their topics."""
    built: list[Pipeline] = []

    def build(bootstrap: str, database_url: str) -> Pipeline:
        state = tmp_path / f"p{len(built)}"
        state.mkdir()
        settings = new_settings(bootstrap, database_url, state)
        migrate(database_url)
        create_topics(settings)
        pipeline = Pipeline(settings, create_engine_for(database_url), state)
        built.append(pipeline)
        return pipeline

    yield build
    for pipeline in built:
        pipeline.stop_all()
        pipeline.engine.dispose()
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=pipeline.kafka.bootstrap, request_timeout_ms=5000
            )
            prefix = pipeline.kafka.topic_prefix
            admin.delete_topics([t for t in admin.list_topics() if t.startswith(prefix)])
            admin.close()
        except (KafkaError, OSError):
            pass  # the broker of this pipeline is gone with its state folder
