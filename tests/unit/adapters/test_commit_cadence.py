"""Offsets are committed once per interval, before partitions go, and only for held partitions."""

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition

from services.adapters.batch_stream import BatchLoop, LoopConfig
from services.adapters.settings import KafkaSettings

pytestmark = pytest.mark.unit

A, B = TopicPartition("in", 0), TopicPartition("in", 1)


class ScriptedConsumer:
    """Hands out one record per partition and call, at increasing offsets; records commits."""

    def __init__(self, partitions: set[TopicPartition]) -> None:
        self.assigned = set(partitions)
        self.next = dict.fromkeys(partitions, 0)
        self.committed: list[dict[TopicPartition, int]] = []
        self.idle = False

    async def getmany(self, **_: Any) -> dict[TopicPartition, list[Any]]:
        if self.idle:
            return {}
        batch = {}
        for tp in sorted(self.assigned):
            offset = self.next[tp]
            self.next[tp] += 1
            record = SimpleNamespace(topic=tp.topic, partition=tp.partition, offset=offset)
            batch[tp] = [record]
        return batch

    async def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        assert set(offsets) <= self.assigned, "Partition is not assigned"  # as aiokafka
        self.committed.append({tp: o.offset for tp, o in offsets.items()})

    def assignment(self) -> set[TopicPartition]:
        return self.assigned


async def _batches(loop: BatchLoop, consumer: ScriptedConsumer, count: int) -> None:
    for _ in range(count):
        await loop._one_batch(consumer, producer=None)


def _loop(interval: float) -> BatchLoop:
    config = LoopConfig(group_id="g", topics=("in",), client_id="c", commit_interval_s=interval)
    return BatchLoop(KafkaSettings(), config, lambda records: [])


def test_batches_within_the_interval_are_committed_together() -> None:
    consumer, loop = ScriptedConsumer({A, B}), _loop(3600)
    asyncio.run(_batches(loop, consumer, 50))
    # The first batch commits (nothing was committed yet); the next 49 wait for the interval.
    assert consumer.committed == [{A: 1, B: 1}]
    asyncio.run(loop.commit_handled(consumer))  # what stopping the loop does
    assert consumer.committed[-1] == {A: 50, B: 50}


def test_an_idle_poll_commits_what_is_due() -> None:
    consumer, loop = ScriptedConsumer({A}), _loop(0.05)
    asyncio.run(_batches(loop, consumer, 3))
    consumer.idle = True

    async def idle_after_interval() -> None:
        await asyncio.sleep(0.06)
        await _batches(loop, consumer, 1)

    asyncio.run(idle_after_interval())
    assert consumer.committed[-1] == {A: 3}


def test_revoked_partitions_are_committed_and_lost_ones_dropped() -> None:
    consumer, loop = ScriptedConsumer({A, B}), _loop(3600)
    asyncio.run(_batches(loop, consumer, 5))
    asyncio.run(loop.commit_handled(consumer, only={B}))  # what the revoke listener does
    assert consumer.committed[-1] == {B: 5}
    consumer.assigned = {B}  # A went to another worker without a revoke call here
    asyncio.run(loop.commit_handled(consumer))
    assert consumer.committed[-1:] == [{B: 5}] and len(consumer.committed) == 2
