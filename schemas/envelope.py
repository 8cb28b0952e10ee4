"""CloudEvents 1.0 envelopes of the inbound events, and the two ways to parse them from Kafka.

One class per event type, each with a `Literal` `type`, joined in the discriminated union
`InboundEvent`. `parse_structured` reads a whole envelope (HTTP body, or a Kafka value in
structured mode) straight from bytes with one `TypeAdapter.validate_json` call; `parse_binary`
reads Kafka binary mode (`ce_*` headers, `data` as the value); `parse_kafka` picks the mode a
Kafka record uses. The two parsers then run the direct-identifier guard and raise
`ContractError`, never anything else, for any input.

Runtime rules beyond JSON Schema, checked here: `subject` equals `data.person_ref`; `agency`
equals the last `:`-segment of `source` (both by the models, so every way of building an event
keeps them); `time` is at most `MAX_CLOCK_SKEW` ahead of `now`. The skew check needs a clock, so
the `parse_*` entry points make it once the event is valid, in plain Python: as a validator it
needed the validation context and a call from pydantic-core per event, about 3 % of the
router's time. Validating a stored event with `model_validate_json` (a replay) does not check
it.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from schemas.base import Contract
from schemas.codes import AgencyCode, EventId, PersonRef
from schemas.errors import ContractError, Problem, problems_from
from schemas.events.arrival import ARRIVAL_V1, ArrivalData
from schemas.events.referral_update import REFERRAL_UPDATE_V1, ReferralUpdateData
from schemas.events.returns import RETURN_V1, ReturnData
from schemas.identifiers import guard as guard_identifiers
from schemas.identifiers import identify

MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future an event `time` may be: publishers' clocks drift, but not by hours."""

SourceRef = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9+.\-]*:[A-Za-z0-9._~:/\-]*[A-Z0-9]$", max_length=256),
]
"""URI-reference of the publisher ending in `:<AGENCY>`, e.g. `urn:mixflow:agency:ITA-MOI`."""


class _CloudEventV1(Contract):
    """The CloudEvents 1.0 attributes every inbound event shares."""

    specversion: Literal["1.0"]
    id: EventId
    source: SourceRef
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    agency: AgencyCode

    @field_validator("agency")
    @classmethod
    def _matches_source(cls, value: str, info: ValidationInfo) -> str:
        source = info.data.get("source")
        if isinstance(source, str) and source.rsplit(":", 1)[-1] != value:
            raise PydanticCustomError(
                "agency_mismatch", "does not match the last `:`-segment of `source`"
            )
        return value


def _subject_is_person(value: str, info: ValidationInfo) -> str:
    data = info.data.get("data")
    if data is not None and getattr(data, "person_ref", value) != value:
        raise PydanticCustomError("subject_mismatch", "must equal `data.person_ref`")
    return value


class ArrivalEvent(_CloudEventV1):
    """`org.mixflow.arrival.v1` in its CloudEvents envelope; `subject` is the person."""

    type: Literal["org.mixflow.arrival.v1"]
    data: ArrivalData
    subject: PersonRef

    _subject = field_validator("subject")(_subject_is_person)


class ReturnEvent(_CloudEventV1):
    """`org.mixflow.return.v1` in its CloudEvents envelope; `subject` is the person."""

    type: Literal["org.mixflow.return.v1"]
    data: ReturnData
    subject: PersonRef

    _subject = field_validator("subject")(_subject_is_person)


class ReferralUpdateEvent(_CloudEventV1):
    """`org.mixflow.referral-update.v1`; it concerns a referral, so it has no `subject`."""

    type: Literal["org.mixflow.referral-update.v1"]
    data: ReferralUpdateData


InboundEvent = Annotated[
    ArrivalEvent | ReturnEvent | ReferralUpdateEvent, Field(discriminator="type")
]
INBOUND_EVENT: TypeAdapter[ArrivalEvent | ReturnEvent | ReferralUpdateEvent] = TypeAdapter(
    InboundEvent
)
EVENT_TYPES: frozenset[str] = frozenset({ARRIVAL_V1, RETURN_V1, REFERRAL_UPDATE_V1})
_DATA: dict[str, TypeAdapter[Any]] = {
    ARRIVAL_V1: TypeAdapter(ArrivalData),
    RETURN_V1: TypeAdapter(ReturnData),
    REFERRAL_UPDATE_V1: TypeAdapter(ReferralUpdateData),
}
_TIME: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
# Kafka binary mode: CloudEvents attribute -> the header that carries it.
HEADER_OF: dict[str, str] = {
    "specversion": "ce_specversion",
    "id": "ce_id",
    "source": "ce_source",
    "type": "ce_type",
    "time": "ce_time",
    "subject": "ce_subject",
    "agency": "ce_agency",
    "datacontenttype": "content-type",
}


def parse_kafka(
    headers: Iterable[tuple[str, bytes]], value: bytes | None, *, now: datetime
) -> ArrivalEvent | ReturnEvent | ReferralUpdateEvent:
    """Parse a Kafka record in whichever CloudEvents mode it uses: `ce_*` headers mean binary
    mode (the binding puts `type` and `specversion` there), anything else structured mode."""
    attributes = dict(headers)
    if "ce_type" in attributes or "ce_specversion" in attributes:
        return parse_binary(attributes, value or b"", now=now)
    return parse_structured(value or b"", now=now)


def parse_structured(
    raw: bytes, *, now: datetime, guard: bool = True
) -> ArrivalEvent | ReturnEvent | ReferralUpdateEvent:
    """Parse and validate a structured-mode CloudEvent from JSON bytes.

    `guard=False` skips the direct-identifier scan of valid events; only benchmarks use it.
    """
    try:
        event = INBOUND_EVENT.validate_json(raw, strict=True)
    except ValidationError as exc:
        raise ContractError(
            problems_from(exc, drop_prefix=EVENT_TYPES, identify=identify)
        ) from None
    problems = _in_the_future(event.time, now, "time")
    problems += guard_identifiers(event) if guard else []
    if problems:
        raise ContractError(problems)
    return event


def parse_binary(
    headers: Mapping[str, bytes], value: bytes, *, now: datetime
) -> ArrivalEvent | ReturnEvent | ReferralUpdateEvent:
    """Parse a Kafka binary-mode CloudEvent: attributes from `ce_*` headers, `data` as the value.

    Headers other than `ce_*` and `content-type` (e.g. `traceparent`) are not event attributes
    and are ignored; an unknown `ce_*` header is an unknown extension attribute and rejected.
    """
    attributes, problems = _attributes(headers)
    rename = {name: HEADER_OF.get(name, f"ce_{name}") for name in attributes} | HEADER_OF
    data, data_problems = _data(attributes.get("type"), value)
    problems += data_problems
    try:
        event = INBOUND_EVENT.validate_python(attributes | {"data": data}, strict=True)
    except ValidationError as exc:
        found = problems_from(exc, drop_prefix=EVENT_TYPES, rename=rename, identify=identify)
        # A header or the value that failed before was reported then, from the input itself.
        reported = {p.path for p in problems} | ({"data"} if data is None else set())
        problems += [p for p in found if p.path.partition(".")[0] not in reported]
    if problems:
        raise ContractError(problems)
    problems = _in_the_future(event.time, now, "ce_time")
    problems += [
        p.model_copy(update={"path": _header_path(p.path)}) for p in guard_identifiers(event)
    ]
    if problems:
        raise ContractError(problems)
    return event


def _in_the_future(time: datetime, now: datetime, path: str) -> list[Problem]:
    if time <= now + MAX_CLOCK_SKEW:
        return []
    minutes = int(MAX_CLOCK_SKEW.total_seconds() // 60)
    reason = f"more than {minutes} minutes in the future (check the publisher's clock)"
    return [Problem(path=path, reason=reason, kind="clock_skew")]


def _attributes(headers: Mapping[str, bytes]) -> tuple[dict[str, Any], list[Problem]]:
    attributes: dict[str, Any] = {}
    problems: list[Problem] = []
    for header, raw in headers.items():
        name = header.lower()
        if name != "content-type" and not name.startswith("ce_"):
            continue
        try:
            text = bytes(raw).decode("utf-8")
        except (UnicodeDecodeError, TypeError):
            problems.append(
                Problem(path=header, reason="header is not UTF-8 text", kind="invalid_value")
            )
            continue
        if name == "content-type":
            attributes["datacontenttype"] = text.split(";", 1)[0].strip().lower()
        elif name == "ce_time":
            attributes["time"] = _time(text, problems)
        else:
            attributes[name[3:]] = text
    return attributes, problems


def _time(text: str, problems: list[Problem]) -> datetime | str:
    try:
        return _TIME.validate_json(orjson.dumps(text), strict=True)
    except ValidationError:
        problems.append(
            Problem(
                path="ce_time",
                reason="not an RFC 3339 date-time with a UTC offset",
                kind="invalid_value",
            )
        )
        return text


def _data(event_type: object, value: bytes) -> tuple[Any, list[Problem]]:
    adapter = _DATA.get(event_type) if isinstance(event_type, str) else None
    if adapter is None:
        return None, []  # the envelope validation reports the missing or unknown type
    try:
        data = adapter.validate_json(value, strict=True)
    except ValidationError as exc:
        found = problems_from(exc, identify=lambda path, v: identify(_under_data(path), v))
        return None, [p.model_copy(update={"path": _under_data(p.path)}) for p in found]
    return data, []


def _under_data(path: str) -> str:
    return f"data.{path}" if path and not path.startswith("[") else f"data{path}"


def _header_path(path: str) -> str:
    head, dot, rest = path.partition(".")
    return path if head == "data" else HEADER_OF.get(head, head) + dot + rest
