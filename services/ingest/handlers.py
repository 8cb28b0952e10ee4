"""What the ingest API decides about a request body, as plain functions: no I/O here.

A single event is accepted or refused; a batch is **all or nothing**: either every event is
valid and belongs to the caller's agency, and all are produced, or none is produced and the
answer lists the problems of every refused item (paths start with the item's index, `[3].id`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from schemas.envelope import ArrivalEvent, ReferralUpdateEvent, ReturnEvent, parse_structured
from schemas.errors import ContractError, Problem
from services.adapters.http.problems import ApiProblem
from services.domain.access import Principal, sees_agency

InboundEvent = ArrivalEvent | ReturnEvent | ReferralUpdateEvent


@dataclass(frozen=True, slots=True)
class Accepted:
    """One event ready to produce: its id, Kafka key (person_ref) and the JSON to send."""

    id: str
    key: bytes
    value: bytes


def accept_event(raw: bytes, principal: Principal, *, now: datetime) -> Accepted:
    """Validate one structured CloudEvent for `principal`, or raise the problem to answer."""
    try:
        event = parse_structured(raw, now=now)
    except ContractError as exc:
        raise _refused(exc.problems) from None
    problems = ownership_problems(event, principal)
    if problems:
        raise _forbidden(problems)
    return _accepted(event, raw)


def accept_batch(
    raw: bytes, principal: Principal, *, now: datetime, max_events: int
) -> list[Accepted]:
    """Validate a JSON array of events; all of them, or raise the problems of the refused ones."""
    items = _array(raw, max_events)
    accepted: list[Accepted] = []
    refused: list[Problem] = []
    forbidden: list[Problem] = []
    first_of: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        value = orjson.dumps(item)
        try:
            event = parse_structured(value, now=now)
        except ContractError as exc:
            refused += _indexed(index, exc.problems)
            continue
        forbidden += _indexed(index, ownership_problems(event, principal))
        earlier = first_of.setdefault((event.source, event.id), index)
        if earlier != index:
            reason = f"repeats the source and id of item [{earlier}]"
            refused.append(Problem(path=f"[{index}].id", reason=reason, kind="inconsistent"))
        accepted.append(_accepted(event, value))
    if refused:
        raise _refused(refused)
    if forbidden:
        raise _forbidden(forbidden)
    return accepted


def ownership_problems(event: InboundEvent, principal: Principal) -> list[Problem]:
    """The event must be published by the token's agency: its `agency` and its `source`."""
    problems = []
    if not sees_agency(principal, event.agency):
        reason = "is not the agency of the token"
        problems.append(Problem(path="agency", reason=reason, kind="inconsistent"))
    if not event.source.endswith(f":{principal.agency}") and principal.role != "admin":
        reason = "does not end with `:<agency of the token>`"
        problems.append(Problem(path="source", reason=reason, kind="inconsistent"))
    return problems


def _accepted(event: InboundEvent, value: bytes) -> Accepted:
    key = event.data.referral_id if isinstance(event, ReferralUpdateEvent) else event.subject
    return Accepted(event.id, key.encode(), value)


def _array(raw: bytes, max_events: int) -> list[object]:
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError:
        problem = Problem(path="", reason="malformed JSON", kind="malformed_json")
        raise ApiProblem(400, "Malformed JSON", problems=[problem]) from None
    if not isinstance(items, list) or not items:
        problem = Problem(path="", reason="must be a non-empty JSON array", kind="invalid_value")
        raise ApiProblem(422, "The batch is not an array of events", problems=[problem])
    if len(items) > max_events:
        raise ApiProblem(413, "Batch too large", f"a batch may hold at most {max_events} events")
    return items


def _indexed(index: int, problems: Sequence[Problem]) -> list[Problem]:
    return [
        p.model_copy(update={"path": f"[{index}]" + (f".{p.path}" if p.path else "")})
        for p in problems
    ]


def _refused(problems: Sequence[Problem]) -> ApiProblem:
    if any(p.kind == "malformed_json" for p in problems):
        return ApiProblem(400, "Malformed JSON", problems=problems[:100])
    return ApiProblem(422, "The event breaks the contract", problems=problems[:100])


def _forbidden(problems: Sequence[Problem]) -> ApiProblem:
    detail = "events may only be published for the agency of the token"
    return ApiProblem(403, "Forbidden", detail, problems=problems[:100])
