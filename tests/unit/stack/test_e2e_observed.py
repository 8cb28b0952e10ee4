"""The end-to-end benchmark counts events as aggregated from the totals flows sends."""

from datetime import UTC, datetime, timedelta

from schemas.flows import FlowAggregateV1
from services.stack.bench_e2e import Observed

HOUR = datetime(2026, 11, 29, 7, tzinfo=UTC)


def total(measure: str, count: int, **dimensions: str) -> bytes:
    aggregate = FlowAggregateV1(
        granularity="hour",
        window_start=HOUR,
        window_end=HOUR + timedelta(hours=1),
        measure=measure,  # type: ignore[arg-type]
        dimensions=dimensions,  # type: ignore[arg-type]
        count=count,
        suppressed=False,
    )
    return aggregate.model_dump_json().encode()


def test_arrivals_and_returns_totals_together_count_the_events() -> None:
    observed = Observed()
    observed.observe("aggregates", "totals", total("arrivals", 30), at=1.0)
    observed.observe("aggregates", "totals", total("returns", 12), at=2.0)
    observed.observe("aggregates", "totals", total("referrals", 90), at=3.0)  # not events
    observed.observe("aggregates", "totals", total("arrivals", 20, sex="female"), at=4.0)
    assert observed.totals.counted() == 42
    observed.observe("aggregates", "totals", total("arrivals", 35), at=5.0)  # the latest wins
    assert observed.totals.counted() == 47
    assert observed.totals.reached == [(1.0, 30), (2.0, 42), (5.0, 47)]
