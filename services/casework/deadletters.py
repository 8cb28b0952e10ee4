"""Dead letters of the casework service: records it cannot apply, with where they came from.

Like every dead letter of mixflow, a letter carries a digest of the refused bytes, never the
bytes, and reasons that name fields and statuses, never values a publisher sent.
"""

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from schemas.deadletters import DeadLetterV1
from schemas.errors import Problem
from services.adapters.batch_stream import Outgoing

PASSED_HEADERS = frozenset({"traceparent", "tracestate"})


class InboundRecord(Protocol):
    """What a dead letter needs of a consumed record (aiokafka's ConsumerRecord has it)."""

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


def dead_letter(
    record: InboundRecord,
    problems: Sequence[Problem],
    *,
    agency: str | None,
    now: datetime,
    topic: str,
) -> Outgoing:
    value = record.value or b""
    letter = DeadLetterV1(
        received_at=now,
        channel="kafka",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        agency=agency,
        payload_sha256=hashlib.sha256(value).hexdigest(),
        payload_size=len(value),
        problems=tuple(problems[:100]),
    )
    headers = tuple((k, v) for k, v in record.headers if k in PASSED_HEADERS)
    return Outgoing(topic, (agency or "").encode(), letter.model_dump_json().encode(), headers)
