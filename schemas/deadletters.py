"""`org.mixflow.dead-letter.v1`: an inbound message that broke its contract.

Published on `mixflow.events.deadletter` with where it came from and why it was refused. It keeps
a digest of the rejected bytes, not the bytes: a message is often refused precisely because it
holds personal data, and a dead-letter topic must not become the place that stores it.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.base import Contract
from schemas.codes import AgencyCode
from schemas.errors import Problem

DEAD_LETTER_V1 = "org.mixflow.dead-letter.v1"


class DeadLetterV1(Contract):
    """Why one message (topic, partition, offset, or an HTTP request) was refused."""

    schema_version: Literal[1] = 1
    received_at: AwareDatetime
    channel: Literal["kafka", "http"]
    topic: Annotated[str, StringConstraints(max_length=249)] | None = None
    partition: Annotated[int, Field(ge=0)] | None = None
    offset: Annotated[int, Field(ge=0)] | None = None
    agency: AgencyCode | None = None
    payload_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    payload_size: Annotated[int, Field(ge=0)]
    problems: Annotated[tuple[Problem, ...], Field(min_length=1, max_length=100)]
