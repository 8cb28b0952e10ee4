"""A small fetch waits for more records to share its batch; a full one is handled at once."""

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition

from services.adapters.batch_stream import BatchLoop, LoopConfig, Outgoing
from services.adapters.settings import KafkaSettings

pytestmark = pytest.mark.unit

TP = TopicPartition("in", 0)


class Trickle:
    """Each fetch returns the records that arrived since the previous one (next of `arrivals`)."""

    def __init__(self, arrivals: list[int]) -> None:
        self.arrivals = list(arrivals)  # records available at each successive fetch
        self.offset = 0
        self.fetches: list[int] = []

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[TopicPartition, Any]:
        count = min(self.arrivals.pop(0) if self.arrivals else 0, max_records)
        self.fetches.append(timeout_ms)
        records = [SimpleNamespace(topic="in", partition=0, offset=self.offset + n, timestamp=0)
                   for n in range(count)]  # fmt: skip
        self.offset += count
        return {TP: records} if records else {}

    async def commit(self, offsets: Any) -> None:
        pass

    def assignment(self) -> set[TopicPartition]:
        return {TP}


def _run(arrivals: list[int], linger_ms: int, max_records: int = 100) -> tuple[list[int], Trickle]:
    sizes: list[int] = []

    def handle(records: Sequence[Any]) -> list[Outgoing]:
        sizes.append(len(records))
        return []

    config = LoopConfig(
        group_id="g", topics=("in",), client_id="c", max_records=max_records, linger_ms=linger_ms
    )
    loop = BatchLoop(KafkaSettings(), config, handle)
    consumer = Trickle(arrivals)
    asyncio.run(loop._one_batch(consumer, producer=None))
    return sizes, consumer


def test_a_small_fetch_takes_what_arrived_during_the_linger() -> None:
    sizes, consumer = _run([1, 3], linger_ms=10)
    assert sizes == [4] and consumer.fetches == [100, 0]


def test_without_linger_a_small_fetch_is_handled_alone() -> None:
    sizes, consumer = _run([1, 3], linger_ms=0)
    assert sizes == [1] and consumer.fetches == [100]


def test_a_full_fetch_does_not_wait() -> None:
    sizes, consumer = _run([100, 3], linger_ms=10_000)
    assert sizes == [100] and consumer.fetches == [100]
