"""The record-age histogram counts every record of a small batch and a spread of a large one."""

import time
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from services.adapters.loop_telemetry import AGE_SAMPLES, LoopInstruments
from services.adapters.telemetry import Telemetry

pytestmark = pytest.mark.unit


def _ages_recorded(batch_sizes: list[int]) -> tuple[int, float]:
    """(how many ages the histogram holds, their sum in ms) after finishing these batches."""
    reader = InMemoryMetricReader()
    telemetry = Telemetry(
        tracer=TracerProvider().get_tracer("t"),
        meter=MeterProvider(metric_readers=[reader]).get_meter("t"),
        tracing=False,
    )
    instruments = LoopInstruments(telemetry, "flows", "g")
    now_ms = time.time() * 1000
    for size in batch_sizes:
        # The n-th record of a batch was published n ms ago: the sample's mean shows which.
        records: list[Any] = [SimpleNamespace(timestamp=now_ms - n) for n in range(size)]
        instruments.finish(records, None, [], time.perf_counter())
    data = reader.get_metrics_data()
    assert data is not None
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "mixflow.record.age":
                    point = metric.data.data_points[0]
                    return point.count, point.sum  # type: ignore[union-attr]
    raise AssertionError("no record-age histogram")


def test_a_small_batch_records_every_age() -> None:
    count, _ = _ages_recorded([10, AGE_SAMPLES])
    assert count == 10 + AGE_SAMPLES


def test_a_large_batch_records_a_sample_spread_over_all_of_it() -> None:
    count, total_ms = _ages_recorded([5000])
    assert AGE_SAMPLES // 2 <= count <= AGE_SAMPLES
    # Evenly spread: the mean age is near the batch's middle (2.5 s), not its head or tail.
    assert 2000 < total_ms / count < 3000
