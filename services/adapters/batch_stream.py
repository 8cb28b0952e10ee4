"""A batched consume -> handle -> produce -> commit loop on aiokafka, for the hot paths.

Why not a Faust agent here: measured on this project's reference machine, a Faust agent pays
tens of microseconds of stream machinery per message (conductor, channel queues, per-event acks)
and tops out at a few thousand events/s even as a pass-through, while the router's own work is
a few microseconds. This loop hands whole fetched batches to a plain function instead.

Delivery is at-least-once and never loses an event: a batch's offsets are committed only after
every record it produced has been acknowledged by the broker (`acks=all`, idempotent producer).
Downstream sinks are idempotent on ids, so a batch replayed after a crash creates no duplicates.

The loop does not wait for a batch's acknowledgements before handling the next one: it hands
batch N's records to the producer, fetches and handles batch N+1 while the broker writes N, and
waits for N's acknowledgements only before producing N+1's records (so order within a partition
holds, and at most one batch is unacknowledged). A failure of N's records rewinds to N's first
offsets.

Offsets are committed at most once per `commit_interval_s` (and when partitions are revoked or
the loop stops), not after every batch: at low rates batches hold one or two records, and a
commit per batch (an append to the broker's offsets log, a round trip the loop waits for) made
the broker and the loop spend more on commits than on the records. A crash replays at most the
interval's records, which the idempotent sinks absorb.
"""

import asyncio
import inspect
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata
from sqlalchemy.exc import InterfaceError, OperationalError

from services.adapters.kafka import aiokafka_options
from services.adapters.partitioning import partition_for
from services.adapters.settings import KafkaSettings

if TYPE_CHECKING:
    from services.adapters.loop_telemetry import LoopInstruments

log = logging.getLogger(__name__)

TRANSIENT = (KafkaError, OSError, OperationalError, InterfaceError)
"""Failures that pass: the broker or the database is away, or a rebalance moved partitions."""
RETRY_S = 2.0
_UNKEYED = itertools.count()
"""Round-robin position of unkeyed records (dead letters), kept across batches: restarted at
partition 0 for every batch, the few letters of most batches all landed on partition 0."""


class Outgoing(NamedTuple):
    """One record to produce: the handler's output, in the order it must be sent.

    A named tuple: one is built per record on the hot paths, at half the cost of a frozen
    dataclass."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class LoopConfig:
    group_id: str
    topics: tuple[str, ...]
    client_id: str
    max_records: int = 2000
    poll_timeout_ms: int = 100
    auto_offset_reset: str = "earliest"
    commit_interval_s: float = 1.0
    linger_ms: int = 0
    """How long the broker may hold a fetch to gather more records (up to a megabyte): at low
    rates fewer, larger batches for handlers with a fixed cost per batch (a database
    transaction), at the price of up to this much latency. 0: answered as records arrive."""


BatchHandler = Callable[
    [Sequence[ConsumerRecord[bytes, bytes]]],
    Sequence[Outgoing] | Awaitable[Sequence[Outgoing]],
]
"""Turns a fetched batch into the records to produce. Must not raise for bad input.

A coroutine function is awaited: a handler that writes to a database does so before the loop
produces its records and commits the batch's offsets."""


@dataclass
class LoopStats:
    batches: int = 0
    consumed: int = 0
    produced: int = 0
    last_offsets: dict[TopicPartition, int] = field(default_factory=dict)


def producer_for(settings: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        # Room for a whole fetched batch per partition in one record batch; below the
        # broker's default message.max.bytes (1 MiB + 12 bytes).
        max_batch_size=1_000_000,
        max_request_size=4 * 1024 * 1024,
        **aiokafka_options(settings),
    )


def consumer_for(settings: KafkaSettings, config: LoopConfig) -> AIOKafkaConsumer:
    # A lingering loop's linger is the broker's: it answers a fetch once a megabyte is there or
    # the linger is over, instead of once per arriving record batch (at low rates a fetch round
    # trip and a transaction per record were a large part of the broker's and database's CPU).
    # Waiting in the loop as well (a sleep after a small fetch) doubled the latency it costs.
    waits = (
        {"fetch_min_bytes": 1024 * 1024, "fetch_max_wait_ms": config.linger_ms}
        if config.linger_ms
        else {}
    )
    # Not subscribed here: the loop subscribes it with the listener that commits on revocation.
    return AIOKafkaConsumer(
        group_id=config.group_id,
        client_id=config.client_id,
        enable_auto_commit=False,
        auto_offset_reset=config.auto_offset_reset,
        max_poll_records=config.max_records,
        fetch_max_bytes=32 * 1024 * 1024,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **waits,
        **aiokafka_options(settings),
    )


@dataclass(slots=True)
class _Flight:
    """A handled batch whose records were handed to the producer, not yet acknowledged."""

    fetched: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    records: list[ConsumerRecord[bytes, bytes]]
    outgoing: Sequence[Outgoing]
    spans: Any
    started: float
    acks: list[asyncio.Future[Any]]


async def send_all(producer: AIOKafkaProducer, outgoing: Sequence[Outgoing]) -> None:
    """Produce every record and wait until the broker acknowledged all of them."""
    await asyncio.gather(*await enqueue_all(producer, outgoing))


async def enqueue_all(
    producer: AIOKafkaProducer, outgoing: Sequence[Outgoing]
) -> list[asyncio.Future[Any]]:
    """Hand every record to the producer as whole record batches; the futures of their acks.

    Records are grouped by partition (chosen as Kafka's default partitioner does for their key)
    and appended to closed record batches that the producer sends at once. Per record this
    costs a C append instead of aiokafka's per-message `send` (metadata look-ups, a pure-Python
    murmur2, a future and an accumulator step each), which measured as most of the router's
    produce time. Order within a partition is kept.
    """
    groups: dict[tuple[str, int], list[Outgoing]] = {}
    counts: dict[str, int] = {}
    for record in outgoing:
        count = counts.get(record.topic)
        if count is None:
            count = counts[record.topic] = len(await producer.partitions_for(record.topic))
        if record.key is not None:
            partition = partition_for(record.key, count)
        else:  # unkeyed (dead letters): spread over the partitions
            partition = next(_UNKEYED) % count
        groups.setdefault((record.topic, partition), []).append(record)
    futures: list[asyncio.Future[Any]] = []
    for (topic, partition), records in groups.items():
        batch = producer.create_batch()
        for record in records:
            if _append(batch, record):
                continue
            futures.append(await _submit(producer, batch, topic, partition))
            batch = producer.create_batch()
            if not _append(batch, record):
                raise ValueError(f"a record for {topic} does not fit in a record batch")
        futures.append(await _submit(producer, batch, topic, partition))
    return futures


def _append(batch: Any, record: Outgoing) -> bool:
    """Add `record` to `batch`; False when the batch is full."""
    headers = list(record.headers)
    return (
        batch.append(timestamp=None, key=record.key, value=record.value, headers=headers)
        is not None
    )


async def _submit(
    producer: AIOKafkaProducer, batch: Any, topic: str, partition: int
) -> asyncio.Future[Any]:
    batch.close()  # closed: the producer sends it without waiting for more records (linger)
    future: asyncio.Future[Any] = await producer.send_batch(batch, topic, partition=partition)
    return future


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Commits the loop's handled offsets of revoked partitions, then calls the service's own
    listener (if any): the partitions' next owner starts where this worker stopped."""

    def __init__(
        self,
        loop: "BatchLoop",
        consumer: AIOKafkaConsumer,
        inner: ConsumerRebalanceListener | None,
    ) -> None:
        self._loop = loop
        self._consumer = consumer
        self._inner = inner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        try:
            await self._loop.settle(self._consumer)
            await self._loop.commit_handled(self._consumer, only=set(revoked))
        except TRANSIENT as exc:
            log.warning("commit before a rebalance failed (%s); the new owner replays", exc)
        if self._inner is not None:
            await self._inner.on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if self._inner is not None:
            await self._inner.on_partitions_assigned(assigned)


def next_offsets(
    batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
) -> dict[TopicPartition, OffsetAndMetadata]:
    return {tp: OffsetAndMetadata(records[-1].offset + 1, "") for tp, records in batches.items()}


class BatchLoop:
    """Runs `handle` over batches until `stop()` is called; one loop per worker process."""

    def __init__(
        self,
        settings: KafkaSettings,
        config: LoopConfig,
        handle: BatchHandler,
        *,
        producer: AIOKafkaProducer | None = None,
        before_batch: Callable[[], Awaitable[None]] | None = None,
        instruments: "LoopInstruments | None" = None,
        listener: ConsumerRebalanceListener | None = None,
    ) -> None:
        self._settings = settings
        self._config = config
        self._handle = handle
        self._producer = producer
        self._owns_producer = producer is None
        self._before_batch = before_batch
        self._instruments = instruments
        self._listener = listener
        self._stopping = asyncio.Event()
        self._starts: list[dict[TopicPartition, int]] = []
        """First offsets of the batches fetched and not yet acknowledged: where a rewind goes."""
        self._flight: _Flight | None = None
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        """Next offsets of batches handled and acknowledged, not committed yet."""
        self._last_commit = -float("inf")
        self.stats = LoopStats()

    @property
    def config(self) -> LoopConfig:
        return self._config

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        # Subscribed with a listener that commits what was handled before partitions go.
        consumer = consumer_for(self._settings, self._config)
        listener = _CommitOnRevoke(self, consumer, self._listener)
        consumer.subscribe(list(self._config.topics), listener=listener)
        producer = self._producer or producer_for(self._settings, self._config.client_id)
        await consumer.start()
        if self._owns_producer:
            await producer.start()
        try:
            while not self._stopping.is_set():
                await self._step(consumer, producer)
        finally:
            try:
                await self.settle(consumer)
                await self.commit_handled(consumer)
            except TRANSIENT as exc:  # replayed on the next start, and absorbed downstream
                log.warning("%s: final commit failed (%s)", self._config.group_id, exc)
            await consumer.stop()
            if self._owns_producer:
                await producer.stop()

    async def commit_handled(
        self, consumer: AIOKafkaConsumer, only: set[TopicPartition] | None = None
    ) -> None:
        """Commit the handled batches' offsets (of the partitions in `only`, if given).

        Offsets of partitions this consumer no longer holds are dropped: the broker refuses
        them, and their new owner starts from the last commit (a replay, absorbed downstream).
        """
        assigned = consumer.assignment()
        offsets = {
            tp: offset
            for tp, offset in self._uncommitted.items()
            if tp in assigned and (only is None or tp in only)
        }
        if offsets:
            await consumer.commit(offsets)
        for tp in list(self._uncommitted):
            if tp not in assigned or tp in offsets:
                del self._uncommitted[tp]
        if only is None:
            self._last_commit = time.monotonic()

    async def _commit_if_due(self, consumer: AIOKafkaConsumer) -> None:
        if time.monotonic() - self._last_commit >= self._config.commit_interval_s:
            await self.commit_handled(consumer)

    async def _step(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        """One batch; a transient failure rewinds it and waits instead of ending the loop.

        Without this a broker restart, a database restart or a commit refused after a rebalance
        ended the loop, and with it the worker's only job while the process lived on. Sinks are
        idempotent, so a batch handled twice changes nothing; its offsets are never committed
        before it was handled and produced, so none is skipped.
        """
        try:
            await self._one_batch(consumer, producer)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or task.cancelling():
                raise  # a stop: end the loop
            await self._rewind(consumer, "an inner operation was cancelled")
        except TRANSIENT as exc:
            await self._rewind(consumer, f"{type(exc).__name__}: {exc}")
        else:
            return
        await asyncio.sleep(RETRY_S)

    async def _rewind(self, consumer: AIOKafkaConsumer, reason: str) -> None:
        try:  # a batch in flight may still be acknowledged: then it need not be replayed
            await self.settle(consumer)
        except (*TRANSIENT, asyncio.CancelledError):
            self._flight = None
        assigned = consumer.assignment()
        earliest: dict[TopicPartition, int] = {}
        for starts in self._starts:
            for tp, offset in starts.items():
                earliest[tp] = min(offset, earliest.get(tp, offset))
        for tp, offset in earliest.items():
            if tp in assigned:
                consumer.seek(tp, offset)
        log.warning(
            "%s: batch not completed (%s); retrying it in %.0f s",
            self._config.group_id,
            reason,
            RETRY_S,
        )
        self._starts = []

    async def _one_batch(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        if self._before_batch is not None:
            await self._before_batch()
        fetched = await consumer.getmany(
            timeout_ms=self._config.poll_timeout_ms, max_records=self._config.max_records
        )
        if not fetched:
            await self.settle(consumer)
            await self._commit_if_due(consumer)
            return
        self._starts.append({tp: batch[0].offset for tp, batch in fetched.items()})
        started = time.perf_counter()
        records = [record for batch in fetched.values() for record in batch]
        instruments = self._instruments
        spans = instruments.start_spans(records) if instruments else None
        handled = self._handle(records)
        outgoing = await handled if inspect.isawaitable(handled) else handled
        if instruments is not None:
            outgoing = instruments.link_outgoing(records, spans, outgoing)
        await self.settle(consumer)  # the previous batch first: order within a partition
        acks = await enqueue_all(producer, outgoing) if outgoing else []
        self._flight = _Flight(fetched, records, outgoing, spans, started, acks)
        if not acks:
            await self.settle(consumer)
        await self._commit_if_due(consumer)

    async def settle(self, consumer: AIOKafkaConsumer) -> None:
        """Wait for the batch in flight to be acknowledged; its offsets are then handled.

        Raises what producing its records raised; the batch then stays unhandled and a rewind
        replays it.
        """
        flight = self._flight
        if flight is None:
            return
        await asyncio.gather(*flight.acks)
        if self._flight is not flight:
            return  # settled meanwhile (a rebalance listener waited for the same batch)
        self._flight = None
        self._uncommitted.update(next_offsets(flight.fetched))
        if self._starts:
            del self._starts[0]
        instruments = self._instruments
        if instruments is not None:
            instruments.finish(flight.records, flight.spans, flight.outgoing, flight.started)
            # A rebalance during the batch may have taken partitions away; aiokafka asserts on
            # the high watermark of a partition no longer assigned, which ended the worker.
            assigned = consumer.assignment()
            for tp, batch in flight.fetched.items():
                highwater = consumer.highwater(tp) if tp in assigned else None
                if highwater is not None:
                    instruments.set_lag(tp.topic, tp.partition, highwater - batch[-1].offset - 1)
        self.stats.batches += 1
        self.stats.consumed += len(flight.records)
        self.stats.produced += len(flight.outgoing)
        for tp, batch in flight.fetched.items():
            self.stats.last_offsets[tp] = batch[-1].offset
