"""Dead letters: every refused Kafka record, with where it came from and why, in one shape.

A letter keeps the original key, value and headers so that a fixed event can be replayed
(`mixflow deadletter replay`), except when a problem is a direct identifier (or the message is
too large): then only a digest and the size are kept, because the dead-letter topic must never
store personal data. Reasons name fields and kinds, never values a publisher sent.
"""

import base64
import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from schemas.deadletters import DeadLetterV1, OriginalHeader
from schemas.errors import Problem
from services.adapters.batch_stream import Outgoing

PASSED_HEADERS = frozenset({"traceparent", "tracestate"})
"""Trace context travels with the event; no other header is copied downstream."""
AGENCY_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
"""The pattern of `schemas.codes.AgencyCode`."""
MAX_KEPT_BYTES = 256 * 1024
"""Larger refused messages are withheld from their letter, which must fit on the topic."""


class InboundRecord(Protocol):
    """What a dead letter needs of a consumed Kafka record (aiokafka's ConsumerRecord has it)."""

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


def dead_letter(
    record: InboundRecord,
    problems: Sequence[Problem],
    *,
    now: datetime,
    topic: str,
    group: str | None = None,
    agency: str | None = None,
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
        agency=agency or _agency_header(record),
        payload_sha256=hashlib.sha256(value).hexdigest(),
        payload_size=len(value),
        problems=tuple(problems[:100]),
        withheld=withheld,
        **({} if withheld else _originals(record)),
    )
    key = (letter.agency or "").encode()
    return Outgoing(topic, key, letter.model_dump_json().encode(), passed_headers(record))


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


def passed_headers(record: InboundRecord) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, v) for k, v in record.headers if k in PASSED_HEADERS)
