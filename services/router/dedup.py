"""Idempotency at the router: the same event id from the same source is routed once.

The router is the one place both publishing paths (HTTP ingest and direct Kafka) meet, so this
is where re-sent events are dropped. Memory is kept per inbound partition (events are keyed by
`person_ref`, so a re-sent event lands on the partition of its first copy) and persisted to the
time-limited topic `mixflow.router.dedup`, in the same acknowledged batch as the decisions: one
record per inbound partition and batch, key `<partition> <first offset>-<last offset>`, value
the first sights of the batch (`source id`, inbound offset, event time). One record per batch
rather than per event halves what the router produces; a replayed batch rewrites the same key.
On assignment the router reads back the memory of the partitions it was given.

A record is a duplicate only when its key was first seen at an earlier offset: a batch replayed
after a crash (same offsets) is routed again and yields the same decision ids, which downstream
sinks de-duplicate, instead of being skipped and lost. Memory is bounded by a maximum number of
entries per partition (oldest forgotten first) and by a TTL on event time.
"""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.adapters.batch_stream import Outgoing
from services.adapters.kafka import aiokafka_options, kafka_python_options
from services.adapters.settings import KafkaSettings, RouterSettings

log = logging.getLogger(__name__)


class DedupMemory:
    """First sight (offset, event time in epoch seconds) of each `source id`, per partition."""

    def __init__(self, max_entries: int, ttl_s: float) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self.partitions: dict[int, OrderedDict[str, tuple[int, float]]] = {}
        self.pending: list[tuple[int, str, int, float]] = []
        """First sights of the current batch, to be persisted with it."""
        self.latest: dict[int, float] = {}
        """The latest event time seen per partition: the clock the TTL runs on."""
        self.duplicates = 0

    def admit(self, partition: int, key: str, offset: int, time_s: float) -> bool:
        """True if the record at `offset` is the first sight of `key` (or a replay of it)."""
        seen = self.partitions.get(partition)
        if seen is None:
            seen = self.partitions[partition] = OrderedDict()
        first = seen.get(key)
        if first is not None and first[0] < offset:
            self.duplicates += 1
            return False
        seen[key] = (offset, time_s)
        self.pending.append((partition, key, offset, time_s))
        if len(seen) > self.max_entries:
            seen.popitem(last=False)
        return True

    def retract(self, partition: int, key: str) -> None:
        """Undo the admission of `key` in this batch (its event could not be routed)."""
        seen = self.partitions.get(partition)
        if seen is not None:
            seen.pop(key, None)
        self.pending = [sight for sight in self.pending if sight[:2] != (partition, key)]

    def expire(self) -> None:
        """Forget entries older than the TTL on event time, measured from the latest event seen
        in their partition (so a replay of old data is de-duplicated as well as live data).

        Entries are dropped from the oldest inserted while they are expired: cheap, and exact
        when events arrive roughly in time order; the entry bound covers the rest.
        """
        latest = self.latest
        for partition, _, _, time_s in self.pending:
            if time_s > latest.get(partition, 0.0):
                latest[partition] = time_s
        for partition, seen in self.partitions.items():
            cutoff = latest.get(partition, 0.0) - self.ttl_s
            while seen and next(iter(seen.values()))[1] < cutoff:
                seen.popitem(last=False)

    def forget(self, partitions: Iterable[int]) -> None:
        for partition in partitions:
            self.partitions.pop(partition, None)
            self.latest.pop(partition, None)

    def size(self) -> int:
        return sum(len(seen) for seen in self.partitions.values())


def marks(topic: str, sights: Sequence[tuple[int, str, int, float]]) -> list[Outgoing]:
    """The records that persist a batch's first sights: one per inbound partition."""
    by_partition: dict[int, list[tuple[str, int, float]]] = {}
    for partition, key, offset, time_s in sights:
        by_partition.setdefault(partition, []).append((key, offset, time_s))
    out = []
    for partition, entries in by_partition.items():
        span = f"{partition} {entries[0][1]}-{entries[-1][1]}"
        value = orjson.dumps({"partition": partition, "entries": entries})
        out.append(Outgoing(topic, span.encode(), value))
    return out


def remember(
    memory: DedupMemory,
    key: bytes | None,
    value: bytes | None,
    *,
    partitions: set[int],
) -> None:
    """Apply one record read back from the dedup topic (tombstones and junk are skipped).

    Reads both layouts: a batch of sights, and the single sight per record (key
    `<partition> <source> <id>`) that earlier versions wrote.
    """
    if not key or not value:
        return
    try:
        record: dict[str, Any] = orjson.loads(value)
        partition = int(record["partition"])
        if "entries" in record:
            entries = [(str(k), int(o), float(t)) for k, o, t in record["entries"]]
        else:
            _, _, event_key = key.decode("utf-8", "replace").partition(" ")
            entries = [(event_key, int(record["offset"]), float(record["time"]))]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return
    if partition not in partitions:
        return
    seen = memory.partitions[partition]
    for event_key, offset, time_s in entries:
        seen[event_key] = (offset, time_s)
        if time_s > memory.latest.get(partition, 0.0):
            memory.latest[partition] = time_s
    while len(seen) > memory.max_entries:
        seen.popitem(last=False)


async def restore(
    settings: KafkaSettings, topic: str, memory: DedupMemory, partitions: set[int]
) -> int:
    """Read the whole dedup topic and rebuild the memory of `partitions`; return entries kept."""
    memory.forget(partitions)
    for partition in partitions:
        memory.partitions[partition] = OrderedDict()
    # No group: subscribed, the consumer is given every partition of the topic.
    consumer = AIOKafkaConsumer(
        topic, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
        client_id="mixflow-router-dedup", **aiokafka_options(settings),
    )  # fmt: skip
    await consumer.start()
    try:
        tps = await _assignment(consumer)
        if not tps:
            return 0
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while await _behind(consumer, ends):
            fetched = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for records in fetched.values():
                for record in records:
                    remember(memory, record.key, record.value, partitions=partitions)
    finally:
        await _stop(consumer)
    memory.expire()
    return sum(len(memory.partitions[p]) for p in partitions)


async def _stop(consumer: AIOKafkaConsumer) -> None:
    # aiokafka's group-less consumer re-raises the cancellation of its own helper task when it
    # is stopped before that task ran; only a cancellation of this task itself may propagate.
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise


async def _assignment(consumer: AIOKafkaConsumer) -> list[TopicPartition]:
    for _ in range(100):
        assigned = sorted(consumer.assignment())
        if assigned:
            return assigned
        await asyncio.sleep(0.05)
    return []


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


def ensure_dedup_topic(settings: KafkaSettings, topic: str, router: RouterSettings) -> None:
    """Create the dedup topic (compact + delete, retention = TTL) or bring its config up to date."""
    configs = {"cleanup.policy": "compact,delete", "retention.ms": str(ttl_ms(router))}
    admin = KafkaAdminClient(client_id="mixflow-router-admin", **kafka_python_options(settings))
    try:
        try:
            admin.create_topics(
                [NewTopic(topic, settings.partitions, replication_factor=1, topic_configs=configs)]
            )
        except TopicAlreadyExistsError:
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs)])
    finally:
        admin.close()


def ttl_ms(router: RouterSettings) -> int:
    return int(router.dedup_ttl_h * 3600 * 1000)


class RestoreOnAssignment(ConsumerRebalanceListener):  # type: ignore[misc]
    """Forgets revoked partitions and rebuilds the memory of assigned ones before they flow."""

    def __init__(self, settings: KafkaSettings, topic: str, memory: DedupMemory) -> None:
        self._settings, self._topic, self._memory = settings, topic, memory
        self.settled = asyncio.Event()
        """Set while the memory matches the assignment; aiokafka may hand out records of a new
        assignment before this listener has returned, so the loop waits for it."""

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        self.settled.clear()
        self._memory.forget(tp.partition for tp in revoked)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        partitions = {tp.partition for tp in assigned}
        if partitions:
            kept = await restore(self._settings, self._topic, self._memory, partitions)
            log.info("dedup memory of partitions %s restored: %d entries", sorted(partitions), kept)
        self.settled.set()
