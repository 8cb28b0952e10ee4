"""Composition root of the router: wires settings, clock, ruleset and Kafka into one service."""

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

import faust
from aiokafka import ConsumerRecord

from schemas.topics import DECISIONS, EVENTS_DEADLETTER, EVENTS_INBOUND, REFERRAL_UPDATES, RULES
from services.adapters.batch_stream import BatchLoop, LoopConfig, Outgoing
from services.adapters.clock import Clock, SystemClock
from services.adapters.kafka import topic_name
from services.adapters.settings import Settings
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
    ) -> None:
        self.clock = clock or SystemClock()
        self.active = ActiveRuleset(load_default(rules_dir), origin=str(rules_dir))
        kafka = settings.kafka
        self.topics = RouterTopics(
            decisions=topic_name(kafka, DECISIONS),
            deadletter=topic_name(kafka, EVENTS_DEADLETTER),
            referral_updates=topic_name(kafka, REFERRAL_UPDATES),
        )
        self.follower = RulesFollower(kafka, self.active, topic_name(kafka, RULES))
        self.loop = BatchLoop(
            kafka,
            LoopConfig(
                group_id=f"{kafka.topic_prefix}{GROUP_ID}",
                topics=(topic_name(kafka, EVENTS_INBOUND),),
                client_id="mixflow-router",
            ),
            self.handle,
        )

    def handle(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[Outgoing]:
        # One read of the reference per batch: the whole batch uses one ruleset version.
        return route_records(
            records, self.active.compiled, now=self.clock.now(), topics=self.topics
        )

    async def run(self) -> None:
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


def create_faust_app(settings: Settings, *, clock: Clock | None = None) -> faust.App:
    """The router as a Faust app: the worker gives it lifecycle, signals and logging."""
    app = faust.App(
        "mixflow-router",
        broker=f"kafka://{settings.kafka.bootstrap}",
        store="memory://",
        datadir=str(settings.state_dir / "faust" / "router"),
        web_enabled=False,
    )
    service = RouterService(settings, clock=clock)

    async def route_inbound() -> None:
        await service.run()

    app.task(route_inbound)
    return app
