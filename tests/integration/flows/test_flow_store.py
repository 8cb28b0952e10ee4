"""The counting transaction on SQLite and PostgreSQL: exactly once, whatever the batching."""

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest
from pydantic import BaseModel

from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.flows.counting import FlowCounter
from services.flows.store import FlowCellStore
from tests.integration.flows.stream import HOUR, main_stream, outcomes

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 6, tzinfo=UTC)
MEASURES = ("arrivals", "returns", "referrals", "outcomes")


class Record(NamedTuple):
    topic: str
    partition: int
    value: bytes


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest):
    url = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    migrate(url)
    engine = create_engine_for(url)
    yield FlowCellStore(engine)
    engine.dispose()  # before the PostgreSQL fixture drops the database


def records() -> list[Record]:
    def record(topic: str, n: int, model: BaseModel) -> Record:
        return Record(topic, n % 2, model.model_dump_json().encode())

    decided = [record("d", n, d) for n, d in enumerate(main_stream())]
    return decided + [record("c", n, c) for n, c in enumerate(outcomes())]


def count(store: FlowCellStore, batches: list[list[Record]]) -> FlowCounter:
    counter = FlowCounter(store, decisions_topic="d", grace=timedelta(hours=1))
    for batch in batches:
        counter.count(batch, now=NOW)
    return counter


def stored(store: FlowCellStore, granularity: str) -> dict:
    end = HOUR + timedelta(days=2)
    return store.cells(MEASURES, granularity, HOUR - timedelta(days=1), end)  # type: ignore[arg-type]


def test_small_replayed_batches_store_the_same_cells_as_one_batch(store, tmp_path):
    stream = records()
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    migrate(url)
    reference = FlowCellStore(create_engine_for(url))
    count(reference, [stream])
    # Batches of 7 with every batch sent twice, and the whole stream once more at the end.
    batches = [stream[at : at + 7] for at in range(0, len(stream), 7)]
    counter = count(store, [b for batch in batches for b in (batch, batch)] + [stream])
    for granularity in ("hour", "day"):
        assert stored(store, granularity) == stored(reference, granularity)
    assert counter.stats.decisions == 30 and counter.stats.outcomes == 6


def test_a_batch_counts_people_outcomes_and_referrals_once_each(store):
    count(store, [records()])
    day = stored(store, "day")
    total = {m: sum(v for k, v in day.items() if k.measure == m) for m in MEASURES}
    assert total == {"arrivals": 26, "returns": 4, "referrals": 36, "outcomes": 6}
    # Outcomes arrive in the batch of their people's decisions and still find their facts.
    assert {k.coords[:3] for k in day if k.measure == "outcomes"} == {("ITA", "male", "12-17")}
