"""Case state as plain, immutable values: a case per person, its referrals, its timeline.

Nothing here knows about storage or transport. Changes produce new values (`dataclasses.replace`)
so the functions that decide them stay pure and easy to test.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from schemas.codes import Framework, ReferralStatus, Urgency
from schemas.decisions import PathwayCode, ReceivingActorKind

TimelineKind = Literal[
    "case_opened", "event_recorded", "decision_made", "referral_issued", "status_changed", "overdue"
]
DetailValue = str | int | bool | None


@dataclass(frozen=True, slots=True)
class EventKey:
    """The identity of an inbound event: CloudEvents `id` is unique only per `source`."""

    source: str
    id: str


@dataclass(frozen=True, slots=True)
class Case:
    """One person's case; returns continue it. `last_seq` orders the timeline without gaps."""

    case_id: str
    person_ref: str
    household_ref: str | None
    opened_at: datetime
    updated_at: datetime
    last_seq: int = 0


@dataclass(frozen=True, slots=True)
class Provenance:
    """Why a referral exists: the ruleset that decided it and the rule and conditions that fired."""

    ruleset_id: str
    ruleset_version: int
    ruleset_digest: str
    rule_id: str
    matched: tuple[str, ...]
    safeguard: bool


@dataclass(frozen=True, slots=True)
class Referral:
    """One pathway a person was referred to, the agency that received it, and where it stands."""

    referral_id: str
    case_id: str
    person_ref: str
    decision_id: str
    pathway: PathwayCode
    framework: Framework
    receiving_actor: ReceivingActorKind
    assigned_agency: str
    assignment_fallback: bool
    urgency: Urgency
    sla_hours: int
    issued_at: datetime
    due_at: datetime
    status: ReferralStatus
    status_changed_at: datetime
    provenance: Provenance
    alerted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of a case's history; `seq` is its position, `at` when it happened."""

    case_id: str
    seq: int
    kind: TimelineKind
    at: datetime
    referral_id: str | None = None
    event_id: str | None = None
    detail: dict[str, DetailValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what to which target, and when; the audit log only ever grows."""

    actor: str
    role: str
    action: str
    target: str
    at: datetime
    detail: dict[str, DetailValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A record to publish once the transaction that wrote it commits (transactional outbox).

    `message_id` is deterministic, so a record published twice (a crash between the broker's
    acknowledgement and deleting its row) is recognisable as the same message. `topic` is
    the canonical name of `schemas.topics`; the publisher adds the deployment's prefix.
    """

    message_id: str
    topic: str
    key: str
    payload: str
    at: datetime
