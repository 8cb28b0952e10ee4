"""Plain functions the router's loop calls: records in, records out. No I/O here."""

import base64
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from schemas.deadletters import DeadLetterV1, OriginalHeader
from schemas.envelope import (
    ArrivalEvent,
    ReferralUpdateEvent,
    ReturnEvent,
    parse_binary,
    parse_structured,
)
from schemas.errors import ContractError, Problem
from schemas.topics import DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES, ROUTER_DEDUP
from services.adapters.batch_stream import Outgoing
from services.domain.rules import CompiledRuleset
from services.router.dedup import DedupMemory, mark

log = logging.getLogger(__name__)

PASSED_HEADERS = frozenset({"traceparent", "tracestate"})
"""Trace context travels with the event; no other header is copied downstream."""
AGENCY_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
"""The pattern of `schemas.codes.AgencyCode`."""
MAX_KEPT_BYTES = 256 * 1024
"""Larger refused messages are withheld from their letter, which must fit on the topic."""


@dataclass(frozen=True, slots=True)
class RouterTopics:
    """Where the router writes; deployed names may carry a prefix."""

    decisions: str = DECISIONS
    deadletter: str = EVENTS_DEADLETTER
    referral_updates: str = REFERRAL_UPDATES
    dedup: str = ROUTER_DEDUP


class InboundRecord(Protocol):
    """What the router needs of a consumed Kafka record (aiokafka's ConsumerRecord has it)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def offset(self) -> int: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


def parse_record(
    record: InboundRecord, *, now: datetime
) -> ArrivalEvent | ReturnEvent | ReferralUpdateEvent:
    """Parse a record in whichever CloudEvents mode it uses: `ce_*` headers mean binary mode."""
    value = record.value or b""
    headers = dict(record.headers)
    if "ce_type" in headers or "ce_specversion" in headers:
        return parse_binary(headers, value, now=now)
    return parse_structured(value, now=now)


def dead_letter(
    record: InboundRecord,
    problems: Sequence[Problem],
    *,
    now: datetime,
    topic: str,
    group: str | None = None,
) -> Outgoing:
    """A dead-letter record naming where the message came from and why it was refused.

    It keeps the original key, value and headers so that a fixed event can be replayed, except
    when a problem is a direct identifier (or the message is too large): then only a digest and
    the size are kept, because the dead-letter topic must never store personal data.
    """
    value = record.value or b""
    withheld = _withheld(record, problems)
    letter = DeadLetterV1(
        received_at=now,
        channel="kafka",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        consumer_group=group,
        agency=_agency_header(record),
        payload_sha256=hashlib.sha256(value).hexdigest(),
        payload_size=len(value),
        problems=tuple(problems[:100]),
        withheld=withheld,
        **({} if withheld else _originals(record)),
    )
    key = (letter.agency or "").encode()
    return Outgoing(topic, key, letter.model_dump_json().encode(), _trace(record))


def _withheld(
    record: InboundRecord, problems: Sequence[Problem]
) -> Literal["direct_identifier", "too_large", None]:
    if any(p.kind == "direct_identifier" for p in problems):
        return "direct_identifier"
    size = len(record.value or b"") + len(record.key or b"")
    size += sum(len(k) + len(v or b"") for k, v in record.headers)
    return "too_large" if size > MAX_KEPT_BYTES else None


def _originals(record: InboundRecord) -> dict[str, Any]:
    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return {
        "original_key": None if record.key is None else b64(record.key),
        "original_value": b64(record.value or b""),
        "original_headers": tuple(
            OriginalHeader(name=k[:256], value=b64(v or b"")) for k, v in record.headers[:256]
        ),
    }


def _agency_header(record: InboundRecord) -> str | None:
    raw = dict(record.headers).get("ce_agency")
    if raw is None:
        return None
    text = raw.decode("ascii", errors="replace")
    # Only a well-formed agency code may label the letter; anything else stays out of it (a
    # letter that fails its own contract would fail the whole batch, again on every retry).
    return text if len(text) <= 40 and AGENCY_CODE.fullmatch(text) else None


def _trace(record: InboundRecord) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, v) for k, v in record.headers if k in PASSED_HEADERS)


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
    and every first sight adds its mark for the dedup topic to the batch.
    """
    out: list[Outgoing] = []
    for record in records:
        routed = route_record(record, ruleset, now=now, topics=topics, memory=memory, group=group)
        if routed is not None:
            out.append(routed)
    if memory is not None:
        memory.expire()
        out.extend(mark(topics.dedup, *sight) for sight in memory.pending)
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
        event = parse_record(record, now=now)
    except ContractError as exc:
        return dead_letter(record, exc.problems, now=now, topic=topics.deadletter, group=group)
    if memory is not None and not memory.admit(
        record.partition, f"{event.source} {event.id}", record.offset, event.time.timestamp()
    ):
        return None
    if isinstance(event, ReferralUpdateEvent):
        key = event.data.referral_id.encode()
        value = event.model_dump_json().encode()
        return Outgoing(topics.referral_updates, key, value, _trace(record))
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
    return Outgoing(topics.decisions, event.data.person_ref.encode(), value, _trace(record))
