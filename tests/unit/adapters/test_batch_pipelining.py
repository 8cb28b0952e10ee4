"""The loop handles batch N+1 while N is acknowledged, and replays N when its records fail."""

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaTimeoutError

from services.adapters.batch_stream import BatchLoop, LoopConfig, Outgoing
from services.adapters.settings import KafkaSettings

pytestmark = pytest.mark.unit

TP = TopicPartition("in", 0)


class Consumer:
    """One record per fetch at increasing offsets; seeks move the next offset back."""

    def __init__(self) -> None:
        self.next = 0
        self.seeks: list[int] = []

    async def getmany(self, **_: Any) -> dict[TopicPartition, list[Any]]:
        offset, self.next = self.next, self.next + 1
        return {TP: [SimpleNamespace(topic="in", partition=0, offset=offset)]}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append(offset)
        self.next = offset

    async def commit(self, offsets: Any) -> None:
        pass

    def assignment(self) -> set[TopicPartition]:
        return {TP}


class Producer:
    """Records what was handed over and when; the test settles each batch's future itself."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.acks: list[asyncio.Future[Any]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {0}

    def create_batch(self) -> "Batch":
        return Batch()

    async def send_batch(self, batch: "Batch", topic: str, *, partition: int) -> Any:
        self.log.append(f"produce {batch.values}")
        ack: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack


class Batch:
    def __init__(self) -> None:
        self.values: list[bytes] = []

    def append(self, *, value: bytes, **_: Any) -> object:
        self.values.append(value)
        return object()

    def close(self) -> None:
        pass


def _loop(log: list[str]) -> BatchLoop:
    def handle(records: list[Any]) -> list[Outgoing]:
        log.append(f"handle {records[0].offset}")
        return [Outgoing("out", b"k", str(records[0].offset).encode())]

    config = LoopConfig(group_id="g", topics=("in",), client_id="c", commit_interval_s=3600)
    return BatchLoop(KafkaSettings(), config, handle)


def test_the_next_batch_is_handled_before_the_last_one_is_acknowledged() -> None:
    log: list[str] = []
    loop, consumer, producer = _loop(log), Consumer(), Producer(log)

    async def run() -> None:
        await loop._one_batch(consumer, producer)  # type: ignore[arg-type]
        assert loop.stats.consumed == 0  # handed over, not acknowledged yet
        step = asyncio.create_task(loop._one_batch(consumer, producer))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        # Batch 1 was handled while batch 0 was in flight, and is held back until 0 is acked.
        assert log == ["handle 0", "produce [b'0']", "handle 1"]
        producer.acks[0].set_result(None)
        await step
        assert log[-1] == "produce [b'1']" and loop.stats.consumed == 1
        producer.acks[1].set_result(None)
        await loop.settle(consumer)  # type: ignore[arg-type]
        assert loop.stats.consumed == 2 and loop._uncommitted[TP].offset == 2

    asyncio.run(run())


def test_a_batch_whose_records_fail_is_replayed_from_its_first_offset() -> None:
    log: list[str] = []
    loop, consumer, producer = _loop(log), Consumer(), Producer(log)

    async def run() -> None:
        await loop._one_batch(consumer, producer)  # type: ignore[arg-type]
        producer.acks[0].set_result(None)
        await loop._one_batch(consumer, producer)  # type: ignore[arg-type]  # batch 1 in flight
        producer.acks[1].set_exception(KafkaTimeoutError())
        with pytest.raises(KafkaTimeoutError):
            await loop._one_batch(consumer, producer)  # type: ignore[arg-type]
        await loop._rewind(consumer, "test")  # type: ignore[arg-type]  # what _step does

    asyncio.run(run())
    # Batch 0 was acknowledged and stays handled; batches 1 and 2 are fetched again.
    assert consumer.seeks == [1] and loop._uncommitted[TP].offset == 1
    assert loop.stats.consumed == 1
