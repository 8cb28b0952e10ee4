"""Plain functions the casework loop calls: a batch of records in, dead letters out.

Decisions of a batch are written in one transaction (`apply_decisions`); each referral update
in its own, so one refused update never holds back the others. What the transactions publish
is in the outbox when they return; only refusals come back, as dead letters to produce.

A decision that cannot be recorded (it meets its contract but breaks a rule further in, or
meets a bug) would fail its whole batch on every retry and wedge the partition: when a batch
fails for any reason but the database or broker being away, its decisions are recorded one by
one and the one at fault is parked as a dead letter with the reason.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from schemas.decisions import DecisionV1
from schemas.envelope import ReferralUpdateEvent, parse_kafka
from schemas.errors import ContractError, Problem, problems_from
from schemas.topics import EVENTS_DEADLETTER
from services.adapters.batch_stream import TRANSIENT, Outgoing
from services.casework.deadletters import InboundRecord, dead_letter
from services.domain.cases import EventKey, apply_decisions, apply_referral_update
from services.domain.cases.ports import UnitOfWork
from services.domain.directory import Directory
from services.domain.errors import (
    ReferralNotAssignedError,
    StaleReferralError,
    TransitionError,
    UnknownReferralError,
)

log = logging.getLogger(__name__)
UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class CaseworkTopics:
    """The deployed names of the topics casework reads and writes dead letters to."""

    decisions: str
    referral_updates: str
    deadletter: str = EVENTS_DEADLETTER


@dataclass
class BatchOutcome:
    decisions: int = 0
    updates: int = 0
    letters: list[Outgoing] = field(default_factory=list)


def handle_batch(
    uow: UowFactory,
    records: Sequence[InboundRecord],
    *,
    directory: Directory,
    now: datetime,
    topics: CaseworkTopics,
) -> BatchOutcome:
    """Apply a fetched batch: its decisions first, in order, then its referral updates."""
    outcome = BatchOutcome()
    decisions: list[tuple[InboundRecord, DecisionV1]] = []
    updates: list[tuple[InboundRecord, ReferralUpdateEvent]] = []
    for record in records:
        if record.topic == topics.decisions:
            decision = _decision(record, now, topics, outcome)
            if decision is not None:
                decisions.append((record, decision))
            continue
        event = _update(record, now, topics, outcome)
        if event is not None:
            updates.append((record, event))
    if decisions:
        outcome.decisions = _record_decisions(uow, decisions, directory, now, topics, outcome)
    for record, event in updates:
        problem = apply_update(uow, event, now=now)
        if problem is None:
            outcome.updates += 1
        else:
            outcome.letters.append(_letter(record, [problem], event.agency, now, topics))
    return outcome


def _record_decisions(
    uow: UowFactory,
    decisions: Sequence[tuple[InboundRecord, DecisionV1]],
    directory: Directory,
    now: datetime,
    topics: CaseworkTopics,
    outcome: BatchOutcome,
) -> int:
    """Record the decisions in one transaction, or one by one if that one fails (see above)."""
    try:
        batch = [decision for _, decision in decisions]
        return len(apply_decisions(uow(), batch, directory=directory, now=now))
    except TRANSIENT:
        raise  # the loop retries the batch once the database or broker is back
    except Exception:
        log.exception("a batch of %d decisions failed; recording them one by one", len(decisions))
    recorded = 0
    for record, decision in decisions:
        try:
            recorded += len(apply_decisions(uow(), [decision], directory=directory, now=now))
        except TRANSIENT:
            raise
        except Exception as exc:
            log.exception("decision at %s/%s not recorded", record.partition, record.offset)
            problems = _problems_of(exc)
            outcome.letters.append(_letter(record, problems, decision.agency, now, topics))
    return recorded


def _problems_of(exc: Exception) -> list[Problem]:
    if isinstance(exc, ValidationError):
        # A record built from the decision breaks its own contract: say which field and why.
        return list(problems_from(exc))
    reason = f"casework could not record this decision ({type(exc).__name__})"
    return [Problem(path="", reason=reason, kind="internal")]


def apply_update(uow: UowFactory, event: ReferralUpdateEvent, *, now: datetime) -> Problem | None:
    """Apply one referral update; the reason it was refused, if it was."""
    key = EventKey(event.source, event.id)
    for attempt in (1, 2):
        try:
            apply_referral_update(uow(), event.data, now=now, event=key)
            return None
        except StaleReferralError:
            # Another writer moved the referral between read and write: decide again on the
            # new status, once; a second race is reported rather than retried forever.
            if attempt == 2:
                return Problem(
                    path="data.status",
                    reason="the referral changed concurrently; send the update again",
                    kind="inconsistent",
                )
        except TransitionError as exc:
            return Problem(
                path="data.status",
                reason=f"{exc.from_status} -> {exc.to_status} refused: {exc.reason}",
                kind="inconsistent",
            )
        except UnknownReferralError:
            return Problem(
                path="data.referral_id", reason="no referral with this id", kind="inconsistent"
            )
        except ReferralNotAssignedError:
            return Problem(
                path="data.by_agency",
                reason="the referral is not assigned to this agency",
                kind="inconsistent",
            )
    return None


def _decision(
    record: InboundRecord, now: datetime, topics: CaseworkTopics, outcome: BatchOutcome
) -> DecisionV1 | None:
    try:
        return DecisionV1.model_validate_json(record.value or b"")
    except ValidationError as exc:
        log.error("a decision breaks its contract at %s/%s", record.partition, record.offset)
        outcome.letters.append(_letter(record, problems_from(exc), None, now, topics))
        return None


def _update(
    record: InboundRecord, now: datetime, topics: CaseworkTopics, outcome: BatchOutcome
) -> ReferralUpdateEvent | None:
    try:
        event = parse_kafka(record.headers, record.value, now=now)
    except ContractError as exc:
        outcome.letters.append(_letter(record, exc.problems, None, now, topics))
        return None
    if not isinstance(event, ReferralUpdateEvent):
        problem = Problem(
            path="type", reason="only referral updates belong on this topic", kind="invalid_value"
        )
        outcome.letters.append(_letter(record, [problem], None, now, topics))
        return None
    return event


def _letter(
    record: InboundRecord,
    problems: Sequence[Problem],
    agency: str | None,
    now: datetime,
    topics: CaseworkTopics,
) -> Outgoing:
    return dead_letter(record, problems, agency=agency, now=now, topic=topics.deadletter)
