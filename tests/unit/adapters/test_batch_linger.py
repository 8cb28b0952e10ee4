"""The linger is the broker's: a lingering loop asks it to hold fetches, and never waits itself."""

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition

from services.adapters.batch_stream import BatchLoop, LoopConfig, Outgoing, consumer_for
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


def _config(linger_ms: int) -> LoopConfig:
    return LoopConfig(
        group_id="g", topics=("in",), client_id="c", max_records=100, linger_ms=linger_ms
    )


async def _fetch_options(linger_ms: int) -> tuple[int, int]:
    consumer = consumer_for(KafkaSettings(), _config(linger_ms))  # built, never started
    return consumer._fetch_min_bytes, consumer._fetch_max_wait_ms


def test_a_lingering_loop_asks_the_broker_to_hold_its_fetches() -> None:
    assert asyncio.run(_fetch_options(50)) == (1024 * 1024, 50)


def test_without_linger_the_broker_answers_as_records_arrive() -> None:
    min_bytes, _ = asyncio.run(_fetch_options(0))
    assert min_bytes == 1


def test_a_small_fetch_is_handled_at_once_even_when_lingering() -> None:
    sizes: list[int] = []

    def handle(records: Sequence[Any]) -> list[Outgoing]:
        sizes.append(len(records))
        return []

    loop = BatchLoop(KafkaSettings(), _config(linger_ms=10_000), handle)
    consumer = Trickle([1, 3])
    asyncio.run(loop._one_batch(consumer, producer=None))
    assert sizes == [1] and consumer.fetches == [100]
