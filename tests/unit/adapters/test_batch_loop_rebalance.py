"""A batch whose partitions were revoked while it was handled does not end the loop."""

import asyncio
from types import SimpleNamespace
from typing import Any

from aiokafka import TopicPartition
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from services.adapters.batch_stream import BatchLoop, LoopConfig
from services.adapters.loop_telemetry import LoopInstruments
from services.adapters.settings import KafkaSettings
from services.adapters.telemetry import Telemetry

TP = TopicPartition("in", 0)


class RevokedDuringBatch:
    """A consumer whose only partition is taken away by a rebalance once a batch was fetched."""

    def __init__(self) -> None:
        self.assigned = {TP}
        self.committed: list[Any] = []

    async def getmany(self, **_: Any) -> dict[TopicPartition, list[Any]]:
        record = SimpleNamespace(topic="in", partition=0, offset=7, key=None, value=b"x",
                                 headers=(), timestamp=0)  # fmt: skip
        self.assigned = set()  # the rebalance happens while the batch is handled
        return {TP: [record]}

    async def commit(self, offsets: Any) -> None:
        self.committed.append(offsets)

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def highwater(self, tp: TopicPartition) -> int:
        assert tp in self.assigned, "Partition is not assigned"  # what aiokafka does
        return 8


def test_lag_is_not_read_for_partitions_revoked_during_the_batch() -> None:
    telemetry = Telemetry(
        tracer=TracerProvider().get_tracer("t"), meter=MeterProvider().get_meter("t"), tracing=False
    )
    loop = BatchLoop(
        KafkaSettings(),
        LoopConfig(group_id="g", topics=("in",), client_id="c"),
        lambda records: [],
        instruments=LoopInstruments(telemetry, "router", "g"),
    )
    consumer = RevokedDuringBatch()
    asyncio.run(loop._one_batch(consumer, producer=None))  # type: ignore[arg-type]
    # Handled, and its offset dropped rather than committed: the partition has a new owner.
    assert loop.stats.consumed == 1 and consumer.committed == []
