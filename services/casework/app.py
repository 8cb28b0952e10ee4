"""Composition root of the casework worker: settings, clock, database, directory and Kafka.

One task does everything in turn, so nothing in a worker races with itself: before each poll,
the SLA timer and the outbox relay when their interval has passed; per batch, the database
transaction, then the relay for what it wrote, then dead letters, then the offsets.
"""

import asyncio
import logging
import time
from collections.abc import Sequence

import faust
from aiokafka import ConsumerRecord
from opentelemetry import metrics
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from schemas.topics import DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES
from services.adapters.batch_stream import BatchLoop, LoopConfig, Outgoing, producer_for
from services.adapters.clock import Clock, SystemClock
from services.adapters.db.engine import create_engine_for
from services.adapters.db.outbox import OutboxReader
from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.adapters.kafka import topic_name
from services.adapters.loop_telemetry import LoopInstruments
from services.adapters.settings import Settings
from services.adapters.telemetry import Telemetry
from services.adapters.worker import worker_app
from services.casework.directory import load_directory
from services.casework.handlers import CaseworkTopics, handle_batch
from services.casework.relay import OutboxRelay
from services.domain.cases import raise_overdue_alerts
from services.domain.directory import Directory

log = logging.getLogger(__name__)
GROUP_ID = "mixflow-casework"


class CaseworkService:
    """Persists decisions and referral updates in batches, raises SLA alerts, drains the outbox."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        engine: Engine | None = None,
        directory: Directory | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.telemetry = telemetry
        self.config = settings.casework
        self.engine = engine or create_engine_for(settings.effective_database_url)
        sessions = session_factory_for(self.engine)
        self.sessions = sessions
        self.directory = directory or load_directory(self.config.directory_file)
        kafka = settings.kafka
        self.topics = CaseworkTopics(
            decisions=topic_name(kafka, DECISIONS),
            referral_updates=topic_name(kafka, REFERRAL_UPDATES),
            deadletter=topic_name(kafka, EVENTS_DEADLETTER),
        )
        self.kafka = kafka
        self.outbox = OutboxReader(sessions)
        self._loop: BatchLoop | None = None
        self._stopping = False
        self._next_sla = 0.0
        self._next_relay = 0.0
        self._relay_task: asyncio.Task[None] | None = None
        self._relay_again = False
        meter = metrics.get_meter("mixflow.casework")
        self._batch_ms = meter.create_histogram(
            "mixflow.db.batch.duration", unit="ms", description="one casework transaction"
        )
        self._batch_size = meter.create_histogram("mixflow.db.batch.size", unit="{record}")
        self._breaches = meter.create_counter("mixflow.sla.breaches", unit="{referral}")
        self.consumed = 0
        self.decisions = 0
        self.alerts = 0
        self.sla_checks = 0

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)

    async def handle(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[Outgoing]:
        started = time.perf_counter()
        outcome = await asyncio.to_thread(
            handle_batch,
            self.uow,
            records,
            directory=self.directory,
            now=self.clock.now(),
            topics=self.topics,
        )
        self._batch_ms.record((time.perf_counter() - started) * 1000)
        self._batch_size.record(len(records))
        self.consumed += len(records)
        self.decisions += outcome.decisions
        self._kick_relay()
        return outcome.letters

    def _kick_relay(self) -> None:
        """Publish what is committed in the background, while the next batch is consumed.

        Safe to overlap: the relay sends only committed rows, in outbox order, and a crash
        before it marks them leaves them for the next run. Publishing inline held the next
        batch's database work behind the broker's acknowledgements. One relay task at a time;
        a kick while it runs makes it go round once more.
        """
        self._relay_again = True
        if self._relay_task is None or self._relay_task.done():
            self._relay_task = asyncio.create_task(self._relay_until_idle())

    async def _relay_until_idle(self) -> None:
        while self._relay_again:
            self._relay_again = False
            try:
                await self.relay.publish_pending()
            except Exception:  # the rows stay pending: the next kick or tick sends them
                log.exception("publishing the outbox failed; retrying on the next batch")
                return

    async def _settle_relay(self) -> None:
        if self._relay_task is not None:
            await asyncio.gather(self._relay_task, return_exceptions=True)

    async def tick(self) -> None:
        """Run the timers that are due; called by the loop before each poll."""
        now = time.monotonic()
        if now >= self._next_sla:
            self._next_sla = now + self.config.sla_interval_s
            await self.check_slas()
        if now >= self._next_relay:
            self._next_relay = now + self.config.outbox_interval_s
            self._kick_relay()

    async def check_slas(self) -> int:
        """Record every breach found now (one alert each, via the outbox)."""
        raised = 0
        try:
            while True:
                found = await asyncio.to_thread(
                    raise_overdue_alerts,
                    self.uow(),
                    now=self.clock.now(),
                    limit=self.config.sla_batch,
                )
                raised += len(found)
                if len(found) < self.config.sla_batch:
                    break
        except DBAPIError as exc:
            # A lock conflict with another worker's transaction: the next tick finds the rest.
            log.warning("SLA check deferred: %s", type(exc).__name__)
        self.alerts += raised
        self._breaches.add(raised)
        self.sla_checks += 1
        return raised

    async def run(self) -> None:
        # Kafka clients bind to the running event loop, so they are made here, not in __init__.
        producer = producer_for(self.kafka, GROUP_ID)
        self.relay = OutboxRelay(self.outbox, producer, self.kafka, batch=self.config.outbox_batch)
        self._loop = BatchLoop(
            self.kafka,
            LoopConfig(
                group_id=f"{self.kafka.topic_prefix}{GROUP_ID}",
                topics=(self.topics.decisions, self.topics.referral_updates),
                client_id=GROUP_ID,
                max_records=self.config.batch_size,
                linger_ms=self.config.linger_ms,
            ),
            self.handle,
            producer=producer,
            before_batch=self.tick,
            instruments=(
                LoopInstruments(self.telemetry, "casework", GROUP_ID) if self.telemetry else None
            ),
        )
        if self._stopping:
            self._loop.stop()
        await producer.start()
        try:
            await self.relay.publish_pending()  # what a previous run committed but never sent
            await self._loop.run()
        finally:
            await self._settle_relay()
            await producer.stop()

    def stop(self) -> None:
        self._stopping = True
        if self._loop is not None:
            self._loop.stop()


def create_faust_app(
    settings: Settings, *, clock: Clock | None = None, telemetry: Telemetry | None = None
) -> faust.App:
    """The casework worker as a Faust app: the worker gives it lifecycle, signals and logging."""
    service = CaseworkService(settings, clock=clock, telemetry=telemetry)

    async def run_casework() -> None:
        topics = service.topics
        log.info("casework consuming %s and %s", topics.decisions, topics.referral_updates)
        await service.run()

    return worker_app(settings, "casework", run_casework)
