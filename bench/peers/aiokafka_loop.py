"""Peer: the simplest consume -> validate -> route -> produce loop a Python team would write.

Same parser, same engine and same decision encoding as the router, on a bare aiokafka consumer
and producer: what the router's own machinery is measured against. The body of a batch
(`send_routed`) is the bare pipeline's route stage's too, so both route alike.
"""

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.domain.rules import CompiledRuleset
from services.stack.bare.stages import send_routed


async def run_plain_loop(
    bootstrap: str, source: str, sink: str, group: str, ruleset: CompiledRuleset, expected: int
) -> float:
    """Route `expected` records from `source` to `sink`; return the seconds it took."""
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=2000,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=5,
        enable_idempotence=True,
        max_batch_size=256 * 1024,
    )
    await consumer.start()
    await producer.start()
    done = 0
    started = None
    try:
        while done < expected:
            batches = await consumer.getmany(timeout_ms=200, max_records=2000)
            if started is None and batches:
                started = asyncio.get_running_loop().time()
            futures = await send_routed(batches, ruleset, producer, sink)
            done += len(futures)
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()
    return asyncio.get_running_loop().time() - (started or 0.0)
