"""`org.mixflow.dead-letter.v1`: an inbound message that broke its contract.

Published on `mixflow.events.deadletter` with where it came from (topic, partition, offset and
the consumer group that refused it) and why. It keeps the original key, value and headers
(base64) so that a fixed event can be replayed, except when they must not be kept: a message
refused because it holds a direct identifier keeps only a digest and a size (`withheld` says
why), since the dead-letter topic must never become the place that stores personal data; an
oversized message is withheld the same way so that its letter still fits on the topic.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.base import Contract
from schemas.codes import AgencyCode
from schemas.errors import Problem

DEAD_LETTER_V1 = "org.mixflow.dead-letter.v1"

Base64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]*={0,2}$")]
"""Standard base64 with padding (RFC 4648 §4)."""


class OriginalHeader(Contract):
    """One Kafka header of the refused message, its value as base64."""

    name: Annotated[str, StringConstraints(max_length=256)]
    value: Base64


class DeadLetterV1(Contract):
    """Why one message (topic, partition, offset, or an HTTP request) was refused.

    `original_*` fields are present unless `withheld` names the reason they are not; version 1
    letters written before they existed simply lack them.
    """

    schema_version: Literal[1] = 1
    received_at: AwareDatetime
    channel: Literal["kafka", "http"]
    topic: Annotated[str, StringConstraints(max_length=249)] | None = None
    partition: Annotated[int, Field(ge=0)] | None = None
    offset: Annotated[int, Field(ge=0)] | None = None
    consumer_group: Annotated[str, StringConstraints(max_length=255)] | None = None
    agency: AgencyCode | None = None
    payload_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    payload_size: Annotated[int, Field(ge=0)]
    problems: Annotated[tuple[Problem, ...], Field(min_length=1, max_length=100)]
    original_key: Base64 | None = None
    original_value: Base64 | None = None
    original_headers: Annotated[tuple[OriginalHeader, ...], Field(max_length=256)] = ()
    withheld: Literal["direct_identifier", "too_large"] | None = None
    """Why the original key, value and headers are not kept, if they are not."""
