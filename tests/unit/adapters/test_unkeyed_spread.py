"""Unkeyed records (dead letters) are spread over partitions across batches, not per batch."""

import asyncio
from collections import Counter
from typing import Any

from services.adapters.batch_stream import Outgoing, enqueue_all


class RecordingProducer:
    """Only what `enqueue_all` uses: partition counts, batches, and where batches went."""

    def __init__(self, partitions: int) -> None:
        self.partitions = partitions
        self.sent: Counter[int] = Counter()

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(self.partitions))

    def create_batch(self) -> "RecordingBatch":
        return RecordingBatch()

    async def send_batch(self, batch: "RecordingBatch", topic: str, *, partition: int) -> Any:
        self.sent[partition] += batch.records
        return asyncio.get_running_loop().create_future()


class RecordingBatch:
    def __init__(self) -> None:
        self.records = 0

    def append(self, **_: Any) -> object:
        self.records += 1
        return object()

    def close(self) -> None:
        pass


def test_one_letter_per_batch_still_reaches_every_partition() -> None:
    producer = RecordingProducer(partitions=4)

    async def batches() -> None:
        for _ in range(8):
            await enqueue_all(producer, [Outgoing("letters", None, b"{}")])  # type: ignore[arg-type]

    asyncio.run(batches())
    assert sorted(producer.sent) == [0, 1, 2, 3]
    assert set(producer.sent.values()) == {2}
