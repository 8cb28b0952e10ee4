"""The active ruleset of one router process, and how it follows `mixflow.rules`.

A new version is parsed, linted and compiled completely before a single reference assignment
makes it active; the routing loop reads that reference once per batch, so no event is ever
evaluated by a half-loaded ruleset and each partition switches versions at one offset.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from schemas.rules import Ruleset
from schemas.topics import RULES
from services.adapters.kafka import aiokafka_options
from services.adapters.settings import KafkaSettings
from services.domain.rules import CompiledRuleset, RuleError, compile_ruleset, lint, load_ruleset

log = logging.getLogger(__name__)


@dataclass
class ActiveRuleset:
    """Holds the compiled ruleset in force; swapped whole, never edited in place."""

    compiled: CompiledRuleset
    origin: str
    history: list[str] = field(default_factory=list)

    def swap(self, compiled: CompiledRuleset, origin: str) -> None:
        self.compiled = compiled
        self.origin = origin
        self.history.append(f"{compiled.ref.id} v{compiled.ref.version} ({origin})")


def load_default(rules_dir: Path) -> CompiledRuleset:
    """The ruleset shipped in `routing_rules/default.yaml`, used until one is published."""
    path = rules_dir / "default.yaml"
    loaded = load_ruleset(path.read_text(), str(path))
    return compile_ruleset(loaded.ruleset, loaded.source)


def compile_published(value: bytes) -> CompiledRuleset | None:
    """Compile a published ruleset, or None (with the reason logged) if it must not be used."""
    try:
        ruleset = Ruleset.model_validate_json(value)
        errors = [f for f in lint(ruleset) if f.severity == "error"]
        if errors:
            log.error(
                "refused published ruleset %s v%s: %s",
                ruleset.id,
                ruleset.version,
                "; ".join(f.render() for f in errors[:5]),
            )
            return None
        return compile_ruleset(ruleset)
    except (ValidationError, RuleError) as exc:
        log.error("refused a published ruleset that does not parse: %s", type(exc).__name__)
        return None


class RulesFollower:
    """Reads `mixflow.rules` from the beginning, then keeps following it.

    Every router process reads every record (no consumer group): each needs the whole history
    to know the latest published version. `caught_up` is set once the records present at start
    have been read, so routing starts on the ruleset that was active when the process started.
    """

    def __init__(self, settings: KafkaSettings, active: ActiveRuleset, topic: str = RULES) -> None:
        self._settings = settings
        self._active = active
        self._topic = topic
        self.caught_up = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        # No group: aiokafka then assigns every partition of the topic to this consumer.
        consumer = AIOKafkaConsumer(
            self._topic,
            group_id=None,
            client_id="mixflow-router-rules",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **aiokafka_options(self._settings),
        )
        await consumer.start()
        try:
            partitions = await self._assignment(consumer)
            ends = await consumer.end_offsets(partitions)
            while not self._stopping.is_set():
                fetched = await consumer.getmany(timeout_ms=200)
                for records in fetched.values():
                    for record in records:
                        self._apply(record.value or b"", f"{self._topic}@{record.offset}")
                if not self.caught_up.is_set() and await _reached(consumer, ends):
                    self.caught_up.set()
        finally:
            await consumer.stop()

    async def _assignment(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        for _ in range(100):
            assigned = sorted(consumer.assignment())
            if assigned:
                return assigned
            await asyncio.sleep(0.1)
        raise RuntimeError(f"topic {self._topic} does not exist; run `mixflow topics create`")

    def _apply(self, value: bytes, origin: str) -> None:
        compiled = compile_published(value)
        if compiled is None:
            return
        current = self._active.compiled.ref
        if compiled.ref == current:
            return
        self._active.swap(compiled, origin)
        log.info("ruleset %s v%s active (%s)", compiled.ref.id, compiled.ref.version, origin)


async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True
