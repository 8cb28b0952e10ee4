"""Plain functions the router's loop calls: records in, records out. No I/O here."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from schemas.envelope import ReferralUpdateEvent, parse_kafka
from schemas.errors import ContractError, Problem
from schemas.topics import DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES, ROUTER_DEDUP
from services.adapters.batch_stream import Outgoing
from services.adapters.deadletters import InboundRecord, dead_letter, passed_headers
from services.domain.rules import CompiledRuleset
from services.router.dedup import DedupMemory, marks

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RouterTopics:
    """Where the router writes; deployed names may carry a prefix."""

    decisions: str = DECISIONS
    deadletter: str = EVENTS_DEADLETTER
    referral_updates: str = REFERRAL_UPDATES
    dedup: str = ROUTER_DEDUP


def route_records(
    records: Sequence[InboundRecord],
    ruleset: CompiledRuleset,
    *,
    now: datetime,
    topics: RouterTopics = RouterTopics(),
    memory: DedupMemory | None = None,
    group: str | None = None,
) -> list[Outgoing]:
    """Route a batch with one ruleset: decisions, forwarded updates and dead letters, in order.

    With a `memory`, re-sent events (same source and id, seen at an earlier offset) are dropped
    and the batch's first sights are added as marks for the dedup topic.
    """
    out: list[Outgoing] = []
    for record in records:
        routed = route_record(record, ruleset, now=now, topics=topics, memory=memory, group=group)
        if routed is not None:
            out.append(routed)
    if memory is not None:
        memory.expire()
        out.extend(marks(topics.dedup, memory.pending))
        memory.pending.clear()
    return out


def route_record(
    record: InboundRecord,
    ruleset: CompiledRuleset,
    *,
    now: datetime,
    topics: RouterTopics,
    memory: DedupMemory | None = None,
    group: str | None = None,
) -> Outgoing | None:
    """The one record `record` yields, or None for a duplicate (counted by `memory`)."""
    try:
        event = parse_kafka(record.headers, record.value, now=now)
    except ContractError as exc:
        return dead_letter(record, exc.problems, now=now, topic=topics.deadletter, group=group)
    if memory is not None and not memory.admit(
        record.partition, f"{event.source} {event.id}", record.offset, event.time.timestamp()
    ):
        return None
    if isinstance(event, ReferralUpdateEvent):
        key = event.data.referral_id.encode()
        value = event.model_dump_json().encode()
        return Outgoing(topics.referral_updates, key, value, passed_headers(record))
    try:
        # Written directly: the event and the referrals were validated already; the engine's
        # tests prove the bytes equal those of the validated DecisionV1.
        value = ruleset.route(event, now=now).to_json()
    except Exception:
        # A bug must not wedge the partition on one message: park it with a reason instead.
        log.exception("routing failed for a valid event at %s/%s", record.partition, record.offset)
        if memory is not None:  # not routed, so not seen: a fixed router may route it later
            memory.retract(record.partition, f"{event.source} {event.id}")
        problem = Problem(path="", reason="the router failed on this event", kind="internal")
        return dead_letter(record, [problem], now=now, topic=topics.deadletter, group=group)
    return Outgoing(topics.decisions, event.data.person_ref.encode(), value, passed_headers(record))
