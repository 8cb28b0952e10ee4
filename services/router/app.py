"""Composition root of the router: wires settings, clock, ruleset and Kafka into one service."""

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

import faust
from aiokafka import ConsumerRecord

from schemas.topics import (
    DECISIONS,
    EVENTS_DEADLETTER,
    EVENTS_INBOUND,
    REFERRAL_UPDATES,
    ROUTER_DEDUP,
    RULES,
)
from services.adapters.batch_stream import BatchLoop, LoopConfig, Outgoing
from services.adapters.clock import Clock, SystemClock
from services.adapters.kafka import topic_name
from services.adapters.loop_telemetry import LoopInstruments
from services.adapters.settings import Settings
from services.adapters.telemetry import Telemetry
from services.adapters.worker import worker_app
from services.router.dedup import DedupMemory, RestoreOnAssignment, ensure_dedup_topic
from services.router.handlers import RouterTopics, route_records
from services.router.rulesets import ActiveRuleset, RulesFollower, load_default

log = logging.getLogger(__name__)
GROUP_ID = "mixflow-router"
DEFAULT_RULES_DIR = Path(__file__).resolve().parents[2] / "routing_rules"


class RouterService:
    """Routes inbound events in batches with the ruleset the follower keeps current."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        rules_dir: Path = DEFAULT_RULES_DIR,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.active = ActiveRuleset(load_default(rules_dir), origin=str(rules_dir))
        kafka = settings.kafka
        self.topics = RouterTopics(
            decisions=topic_name(kafka, DECISIONS),
            deadletter=topic_name(kafka, EVENTS_DEADLETTER),
            referral_updates=topic_name(kafka, REFERRAL_UPDATES),
            dedup=topic_name(kafka, ROUTER_DEDUP),
        )
        self.follower = RulesFollower(kafka, self.active, topic_name(kafka, RULES))
        self.group_id = f"{kafka.topic_prefix}{GROUP_ID}"
        self.memory = DedupMemory(
            settings.router.dedup_max_entries, settings.router.dedup_ttl_h * 3600
        )
        self._settings = settings
        self.listener = RestoreOnAssignment(kafka, self.topics.dedup, self.memory)
        self.loop = BatchLoop(
            kafka,
            LoopConfig(
                group_id=self.group_id,
                topics=(topic_name(kafka, EVENTS_INBOUND),),
                client_id="mixflow-router",
                linger_ms=settings.router.linger_ms,
            ),
            self.handle_when_settled,
            listener=self.listener,
            instruments=LoopInstruments(telemetry, "router", GROUP_ID) if telemetry else None,
        )

    async def handle_when_settled(
        self, records: Sequence[ConsumerRecord[bytes, bytes]]
    ) -> list[Outgoing]:
        # aiokafka may hand out records of a new assignment before the listener has restored
        # the memory of its partitions.
        await self.listener.settled.wait()
        return self.handle(records)

    def handle(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[Outgoing]:
        # One read of the reference per batch: the whole batch uses one ruleset version.
        duplicates = self.memory.duplicates
        out = route_records(
            records,
            self.active.compiled,
            now=self.clock.now(),
            topics=self.topics,
            memory=self.memory,
            group=self.group_id,
        )
        if self.memory.duplicates > duplicates:
            log.info(
                "dropped %d re-sent events (%d in total)",
                self.memory.duplicates - duplicates,
                self.memory.duplicates,
            )
        return out

    async def run(self) -> None:
        await asyncio.to_thread(
            ensure_dedup_topic, self._settings.kafka, self.topics.dedup, self._settings.router
        )
        follower = asyncio.create_task(self.follower.run())
        try:
            await asyncio.wait_for(self.follower.caught_up.wait(), timeout=60)
            ref = self.active.compiled.ref
            log.info("routing with ruleset %s v%s (%s)", ref.id, ref.version, self.active.origin)
            await self.loop.run()
        finally:
            self.follower.stop()
            await follower

    def stop(self) -> None:
        self.loop.stop()


def create_faust_app(
    settings: Settings, *, clock: Clock | None = None, telemetry: Telemetry | None = None
) -> faust.App:
    """The router under a Faust worker, which gives it lifecycle, signals and logging."""
    service = RouterService(settings, clock=clock, telemetry=telemetry)
    return worker_app(settings, "router", service.run)
