"""On the real broker: a lingering loop gets trickling records in a few batches, not one each.

The linger is the broker holding a fetch (`fetch.max.wait.ms` with a large `fetch.min.bytes`);
this proves the broker honours it for our consumer, and that without it every record or two
would cost its own batch (and its own database transaction in casework and flows).
"""

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from services.adapters.batch_stream import BatchLoop, LoopConfig, Outgoing
from services.adapters.settings import KafkaSettings
from tests.conftest import TopicFactory

pytestmark = pytest.mark.integration

RECORDS, GAP_S, LINGER_MS = 120, 0.01, 400


async def _batches(bootstrap: str, topic: str, linger_ms: int) -> list[int]:
    """Batch sizes of a loop fed a record every `GAP_S` seconds."""
    sizes: list[int] = []
    handled = asyncio.Event()
    expected = 1

    def handle(records: Sequence[Any]) -> list[Outgoing]:
        sizes.append(len(records))
        if sum(sizes) >= expected:
            handled.set()
        return []

    config = LoopConfig(
        group_id=f"g-{topic}-{linger_ms}", topics=(topic,), client_id="l", linger_ms=linger_ms
    )
    loop = BatchLoop(KafkaSettings(bootstrap=bootstrap), config, handle)
    task = asyncio.create_task(loop.run())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    try:
        # One record first, to know the loop is assigned and fetching before timing matters.
        await producer.send_and_wait(topic, b"first")
        await asyncio.wait_for(handled.wait(), timeout=60)
        sizes.clear()
        handled.clear()
        expected = RECORDS
        for n in range(RECORDS):
            await producer.send_and_wait(topic, f"r{n}".encode())
            await asyncio.sleep(GAP_S)
        await asyncio.wait_for(handled.wait(), timeout=60)
    finally:
        await producer.stop()
        loop.stop()
        await task
    assert sum(sizes) == RECORDS, f"handled {sum(sizes)} of {RECORDS}"
    return sizes


def test_the_broker_holds_fetches_for_a_lingering_loop(
    kafka_broker: str, topic_factory: TopicFactory
) -> None:
    eager = asyncio.run(_batches(kafka_broker, topic_factory("eager", partitions=1), 0))
    held = topic_factory("lingering", partitions=1)
    lingering = asyncio.run(_batches(kafka_broker, held, linger_ms=LINGER_MS))
    # The records trickle in over at least RECORDS * GAP_S = 1.2 s: a 400 ms hold makes a
    # handful of batches; answering as records arrive makes one for nearly every record.
    assert len(lingering) <= 8, f"lingering loop made {len(lingering)} batches: {lingering}"
    assert len(eager) >= 4 * len(lingering), f"eager {len(eager)}, lingering {len(lingering)}"
