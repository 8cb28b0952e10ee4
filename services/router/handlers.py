"""Plain functions the router's loop calls: records in, records out. No I/O here."""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from schemas.deadletters import DeadLetterV1
from schemas.envelope import ReferralUpdateEvent, parse_binary, parse_structured
from schemas.errors import ContractError, Problem
from schemas.topics import DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES
from services.adapters.batch_stream import Outgoing
from services.domain.rules import CompiledRuleset

log = logging.getLogger(__name__)

PASSED_HEADERS = frozenset({"traceparent", "tracestate"})
"""Trace context travels with the event; no other header is copied downstream."""


@dataclass(frozen=True, slots=True)
class RouterTopics:
    """Where the router writes; deployed names may carry a prefix."""

    decisions: str = DECISIONS
    deadletter: str = EVENTS_DEADLETTER
    referral_updates: str = REFERRAL_UPDATES


class InboundRecord(Protocol):
    """What the router needs of a consumed Kafka record (aiokafka's ConsumerRecord has it)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


def parse_record(record: InboundRecord, *, now: datetime) -> object:
    """Parse a record in whichever CloudEvents mode it uses: `ce_*` headers mean binary mode."""
    value = record.value or b""
    headers = dict(record.headers)
    if "ce_type" in headers or "ce_specversion" in headers:
        return parse_binary(headers, value, now=now)
    return parse_structured(value, now=now)


def dead_letter(
    record: InboundRecord, problems: Sequence[Problem], *, now: datetime, topic: str
) -> Outgoing:
    """A dead-letter record naming where the message came from and why it was refused.

    It carries a digest of the refused bytes, never the bytes: a message is often refused
    because it holds a direct identifier, and the dead-letter topic must not store it.
    """
    value = record.value or b""
    letter = DeadLetterV1(
        received_at=now,
        channel="kafka",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        agency=_agency_header(record),
        payload_sha256=hashlib.sha256(value).hexdigest(),
        payload_size=len(value),
        problems=tuple(problems[:100]),
    )
    key = (letter.agency or "").encode()
    return Outgoing(topic, key, letter.model_dump_json().encode(), _trace(record))


def _agency_header(record: InboundRecord) -> str | None:
    raw = dict(record.headers).get("ce_agency")
    if raw is None:
        return None
    text = raw.decode("ascii", errors="replace")
    # Only a well-formed agency code may label the letter; anything else stays out of it.
    valid = text and len(text) <= 40 and all(c.isupper() or c.isdigit() or c == "-" for c in text)
    return text if valid else None


def _trace(record: InboundRecord) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, v) for k, v in record.headers if k in PASSED_HEADERS)


def route_records(
    records: Sequence[InboundRecord],
    ruleset: CompiledRuleset,
    *,
    now: datetime,
    topics: RouterTopics = RouterTopics(),
) -> list[Outgoing]:
    """Route a batch with one ruleset: decisions, forwarded updates and dead letters, in order."""
    return [route_record(record, ruleset, now=now, topics=topics) for record in records]


def route_record(
    record: InboundRecord, ruleset: CompiledRuleset, *, now: datetime, topics: RouterTopics
) -> Outgoing:
    try:
        event = parse_record(record, now=now)
    except ContractError as exc:
        return dead_letter(record, exc.problems, now=now, topic=topics.deadletter)
    if isinstance(event, ReferralUpdateEvent):
        key = event.data.referral_id.encode()
        value = event.model_dump_json().encode()
        return Outgoing(topics.referral_updates, key, value, _trace(record))
    try:
        decision = ruleset.route(event, now=now).to_contract()  # type: ignore[arg-type]
    except Exception:
        # A bug must not wedge the partition on one message: park it with a reason instead.
        log.exception("routing failed for a valid event at %s/%s", record.partition, record.offset)
        problem = Problem(path="", reason="the router failed on this event", kind="internal")
        return dead_letter(record, [problem], now=now, topic=topics.deadletter)
    value = decision.model_dump_json().encode()
    return Outgoing(topics.decisions, decision.person_ref.encode(), value, _trace(record))
