"""On the real broker: a worker commits what it handled before its partitions move to another.

Offsets are committed once per interval, not per batch. When a second worker joins, the first
must commit its handled offsets as its partitions are revoked; otherwise the newcomer replays
everything since the last periodic commit.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from services.adapters.batch_stream import BatchLoop, LoopConfig, Outgoing
from services.adapters.settings import KafkaSettings
from tests.conftest import TopicFactory

pytestmark = pytest.mark.integration

BACKLOG, MORE, MORE_MAX = 800, 20, 4000


def _collector(into: list[bytes]) -> Any:
    def handle(records: Sequence[Any]) -> list[Outgoing]:
        into.extend(record.value for record in records)
        return []

    return handle


async def _until(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def _publish(bootstrap: str, topic: str, values: range) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in values:
            await producer.send(topic, f"r{n}".encode(), key=f"k{n}".encode())
        await producer.flush()
    finally:
        await producer.stop()


async def _scenario(bootstrap: str, topic: str) -> tuple[list[bytes], list[bytes]]:
    settings = KafkaSettings(bootstrap=bootstrap)
    config = LoopConfig(
        group_id=f"g-{topic}", topics=(topic,), client_id="a", max_records=50,
        commit_interval_s=3600,  # only the first batch commits on its own
    )  # fmt: skip
    first: list[bytes] = []
    second: list[bytes] = []
    await _publish(bootstrap, topic, range(BACKLOG))
    worker_a = BatchLoop(settings, config, _collector(first))
    task_a = asyncio.create_task(worker_a.run())
    worker_b = BatchLoop(settings, replace(config, client_id="b"), _collector(second))
    task_b: asyncio.Task[None] | None = None
    try:
        await _until(lambda: len(first) >= BACKLOG, 60, "the first worker to handle the backlog")
        task_b = asyncio.create_task(worker_b.run())
        # Records published after the rebalance are shared out: publish until the second
        # worker has handled some, then wait for every record to be handled by one of them.
        published = BACKLOG
        while not second and published < BACKLOG + MORE_MAX:
            await _publish(bootstrap, topic, range(published, published + MORE))
            published += MORE
            await asyncio.sleep(0.5)
        expected = {f"r{n}".encode() for n in range(published)}
        await _until(lambda: expected <= set(first) | set(second), 90, "every record handled")
    finally:
        worker_a.stop()
        worker_b.stop()
        await asyncio.gather(task_a, *([task_b] if task_b else []))
    return first, second


def test_a_joining_worker_does_not_replay_what_the_first_handled(
    kafka_broker: str, topic_factory: TopicFactory
) -> None:
    topic = topic_factory("commits", partitions=4)
    first, second = asyncio.run(_scenario(kafka_broker, topic))
    backlog = {f"r{n}".encode() for n in range(BACKLOG)}
    assert len(backlog & set(first)) == BACKLOG
    assert not backlog & set(second), "the second worker replayed records the first handled"
    assert second, "the second worker got no partition"
