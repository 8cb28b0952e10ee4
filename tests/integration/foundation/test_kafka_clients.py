"""The pinned broker works with both Python clients the product uses, in both directions."""

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaConsumer, KafkaProducer

from tests.conftest import TopicFactory


def _consume_with_kafka_python(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"g-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=15_000,
    )
    values = []
    for record in consumer:
        values.append(record.value)
        if len(values) == expected:
            break
    consumer.close()
    return values


def test_kafka_python_produces_and_aiokafka_consumes(
    kafka_broker: str, topic_factory: TopicFactory
) -> None:
    topic = topic_factory("clients")
    producer = KafkaProducer(bootstrap_servers=kafka_broker, acks="all", enable_idempotence=True)
    for i in range(100):
        producer.send(topic, key=b"p", value=f"m{i}".encode())
    producer.flush()
    producer.close()

    async def consume() -> list[bytes]:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=kafka_broker, auto_offset_reset="earliest", group_id="aio"
        )
        await consumer.start()
        values: list[bytes] = []
        try:
            async with asyncio.timeout(20):
                async for record in consumer:
                    values.append(record.value or b"")
                    if len(values) == 100:
                        break
        finally:
            await consumer.stop()
        return values

    assert asyncio.run(consume()) == [f"m{i}".encode() for i in range(100)]


def test_aiokafka_produces_and_kafka_python_consumes(
    kafka_broker: str, topic_factory: TopicFactory
) -> None:
    topic = topic_factory("clients")

    async def produce() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka_broker, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            batch = [producer.send(topic, key=b"p", value=f"a{i}".encode()) for i in range(100)]
            await asyncio.gather(*[await b for b in batch])
        finally:
            await producer.stop()

    asyncio.run(produce())
    assert _consume_with_kafka_python(kafka_broker, topic, 100) == [
        f"a{i}".encode() for i in range(100)
    ]


def test_both_clients_see_the_same_broker_version(kafka_broker: str) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka_broker)
    version = producer.config["api_version"]
    producer.close()
    # kafka-python negotiates the newest protocol it shares with the broker; (2, 6) or later
    # means the modern APIs (idempotent producer, incremental fetch) are in use.
    assert tuple(version) >= (2, 6)
