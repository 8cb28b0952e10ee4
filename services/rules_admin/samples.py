"""Samples of recorded events for simulations, streamed: from the inbound topic or a JSONL file.

Both yield parsed events one at a time (None for a record that is not a valid event), so a
simulation of any size holds one record at a time. The topic is read without a consumer group
(it commits nothing and disturbs no service): the most recent `limit` records present when the
read starts, shared between partitions, within the topic's retention.
"""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from schemas.envelope import ArrivalEvent, ReferralUpdateEvent, ReturnEvent, parse_kafka
from schemas.errors import ContractError
from schemas.topics import EVENTS_INBOUND
from services.adapters.kafka import kafka_python_options, topic_name
from services.adapters.settings import KafkaSettings

Parsed = ArrivalEvent | ReturnEvent | ReferralUpdateEvent | None
POLL_MS = 500


def parse_record(headers: list[tuple[str, bytes]], value: bytes, now: datetime) -> Parsed:
    """A structured- or binary-mode CloudEvent, or None when it breaks the contract."""
    try:
        return parse_kafka(headers, value, now=now)
    except ContractError:
        return None


def events_from_file(path: Path, now: datetime) -> Iterator[Parsed]:
    """CloudEvents in structured mode, one JSON object per line."""
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                yield parse_record([], line, now)


def _window(
    consumer: KafkaConsumer, partitions: list[TopicPartition], limit: int
) -> dict[TopicPartition, int]:
    """Seek each partition to its share of the last `limit` records; return where each ends."""
    begins = consumer.beginning_offsets(partitions)
    ends = consumer.end_offsets(partitions)
    share = max(1, -(-limit // len(partitions)))
    for tp in partitions:
        consumer.seek(tp, max(begins[tp], ends[tp] - share))
    return {tp: end for tp, end in ends.items() if end > begins[tp]}


class TopicSample:
    """The most recent records of the inbound events topic, parsed; `total` is known up front."""

    def __init__(self, settings: KafkaSettings, limit: int, now: datetime) -> None:
        self.topic = topic_name(settings, EVENTS_INBOUND)
        self._settings = settings
        self._limit = limit
        self._now = now
        self.total = 0

    def __iter__(self) -> Iterator[Parsed]:
        consumer = KafkaConsumer(
            group_id=None,
            enable_auto_commit=False,
            client_id="mixflow-rules-simulation",
            **kafka_python_options(self._settings),
        )
        try:
            partitions = [
                TopicPartition(self.topic, p)
                for p in sorted(consumer.partitions_for_topic(self.topic) or ())
            ]
            if not partitions:
                return
            consumer.assign(partitions)
            ends = _window(consumer, partitions, self._limit)
            self.total = sum(end - consumer.position(tp) for tp, end in ends.items())
            yield from self._read(consumer, ends)
        finally:
            consumer.close()

    def _read(self, consumer: KafkaConsumer, ends: dict[TopicPartition, int]) -> Iterator[Parsed]:
        remaining, idle = dict(ends), 0
        while remaining and idle < 20:
            batches = consumer.poll(timeout_ms=POLL_MS, max_records=2000)
            idle = 0 if batches else idle + 1
            for tp, records in batches.items():
                end = remaining.get(tp)
                for record in records:
                    if end is not None and record.offset < end:
                        yield parse_record(record.headers or [], record.value or b"", self._now)
                if end is not None and consumer.position(tp) >= end:
                    remaining.pop(tp, None)
                    consumer.pause(tp)
