"""Composition root of the flows service: a batch loop that counts, and a publishing timer."""

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

import faust
from aiokafka import AIOKafkaProducer, ConsumerRecord
from sqlalchemy import Engine

from schemas.topics import CASES_CHANGES, DECISIONS, FLOWS_AGGREGATES
from services.adapters.batch_stream import BatchLoop, LoopConfig, Outgoing, producer_for
from services.adapters.clock import Clock, SystemClock
from services.adapters.db.engine import create_engine_for
from services.adapters.kafka import topic_name
from services.adapters.loop_telemetry import LoopInstruments
from services.adapters.settings import Settings
from services.adapters.telemetry import Telemetry
from services.adapters.worker import worker_app
from services.flows.counting import FlowCounter
from services.flows.publisher import Publisher
from services.flows.store import FlowCellStore, dedup_horizon

log = logging.getLogger(__name__)
GROUP_ID = "mixflow-flows"


class AggregateSink:
    """Sends aggregates to the compacted topic through the service's producer."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def send(self, *, key: bytes, value: bytes) -> object:
        return await self._producer.send(self._topic, value, key=key)


class FlowsService:
    """Counts decisions and case changes exactly once; publishes changed windows on a timer."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        engine: Engine | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        kafka, flows = settings.kafka, settings.flows
        self.telemetry = telemetry
        self.settings = settings
        self.clock = clock or SystemClock()
        self.store = FlowCellStore(engine or create_engine_for(settings.effective_database_url))
        decisions = topic_name(kafka, DECISIONS)
        self.counter = FlowCounter(
            self.store,
            decisions_topic=decisions,
            grace=timedelta(seconds=flows.grace_s),
        )
        # The sink is attached in `run`: an aiokafka producer needs the running event loop.
        self.publisher = Publisher(self.store, None, settings.privacy.suppression_threshold)
        self.config = LoopConfig(
            group_id=f"{kafka.topic_prefix}{GROUP_ID}",
            topics=(decisions, topic_name(kafka, CASES_CHANGES)),
            client_id="mixflow-flows",
            max_records=flows.batch_size,
            linger_ms=flows.linger_ms,
        )
        self.loop: BatchLoop | None = None
        self._stopping = asyncio.Event()

    async def handle(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[Outgoing]:
        now = self.clock.now()
        windows = await asyncio.to_thread(self.counter.count, records, now=now)
        self.publisher.mark(windows)
        return []

    async def _publish_forever(self) -> None:
        interval = self.settings.flows.publish_interval_s
        while not self._stopping.is_set():
            await asyncio.sleep(interval)
            try:
                await self.publisher.publish()
            except Exception:  # a failed publish is retried next tick: counts are in the DB
                log.exception("publishing aggregates failed; retrying on the next tick")

    async def _forget_forever(self) -> None:
        while not self._stopping.is_set():
            horizon = dedup_horizon(self.clock.now(), self.settings.flows.dedup_days)
            await asyncio.to_thread(self.store.forget_before, horizon)
            await asyncio.sleep(3600)

    async def run(self) -> None:
        kafka = self.settings.kafka
        producer = producer_for(kafka, "mixflow-flows")
        await producer.start()
        self.publisher.attach(AggregateSink(producer, topic_name(kafka, FLOWS_AGGREGATES)))
        instruments = LoopInstruments(self.telemetry, "flows", GROUP_ID) if self.telemetry else None
        self.loop = BatchLoop(
            kafka, self.config, self.handle, producer=producer, instruments=instruments
        )
        timers = [
            asyncio.create_task(self._publish_forever()),
            asyncio.create_task(self._forget_forever()),
        ]
        try:
            await self.loop.run()
        finally:
            self._stopping.set()
            for timer in timers:
                timer.cancel()
            await asyncio.gather(*timers, return_exceptions=True)
            await self.publisher.publish()
            await producer.stop()

    def stop(self) -> None:
        self._stopping.set()
        if self.loop is not None:
            self.loop.stop()


def create_faust_app(
    settings: Settings, *, engine: Engine | None = None, telemetry: Telemetry | None = None
) -> faust.App:
    """The flows service under a Faust worker, which gives it lifecycle, signals and logging."""
    service = FlowsService(settings, engine=engine, telemetry=telemetry)
    return worker_app(settings, "flows", service.run)
