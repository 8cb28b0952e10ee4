"""The edge between the contracts and the case core: the only module that reads `DecisionV1`
and `ReferralUpdateData`. A new contract version changes these mappings, not the core.
"""

from dataclasses import dataclass
from datetime import datetime

from schemas.codes import Framework, ReferralUpdateStatus, Urgency
from schemas.decisions import DecisionV1, PathwayCode, ReceivingActorKind
from schemas.events.referral_update import ReferralUpdateData
from services.domain.cases.model import EventKey


@dataclass(frozen=True, slots=True)
class ReferralIntent:
    """A referral the router asked for, before an agency is assigned."""

    pathway: PathwayCode
    framework: Framework
    receiving_actor: ReceivingActorKind
    urgency: Urgency
    sla_hours: int
    rule_id: str
    matched: tuple[str, ...]
    safeguard: bool


@dataclass(frozen=True, slots=True)
class DecisionIntake:
    """What case management needs from one routing decision."""

    event: EventKey
    event_type: str
    event_time: datetime
    decision_id: str
    decided_at: datetime
    person_ref: str
    household_ref: str | None
    agency: str
    ruleset_id: str
    ruleset_version: int
    ruleset_digest: str
    country: str
    admin1: str | None
    referrals: tuple[ReferralIntent, ...]


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A receiving agency's report on one referral."""

    referral_id: str
    status: ReferralUpdateStatus
    reason_code: str | None
    by_agency: str


def intake_from_decision(decision: DecisionV1) -> DecisionIntake:
    return DecisionIntake(
        event=EventKey(decision.event_source, decision.event_id),
        event_type=decision.event_type,
        event_time=decision.event_time,
        decision_id=decision.decision_id,
        decided_at=decision.decided_at,
        person_ref=decision.person_ref,
        household_ref=decision.household_ref,
        agency=decision.agency,
        ruleset_id=decision.ruleset.id,
        ruleset_version=decision.ruleset.version,
        ruleset_digest=decision.ruleset.digest,
        country=decision.facts.country,
        admin1=decision.facts.admin1,
        referrals=tuple(
            ReferralIntent(
                r.pathway,
                r.framework,
                r.receiving_actor,
                r.urgency,
                r.sla_hours,
                r.rule_id,
                tuple(r.matched),
                r.safeguard,
            )
            for r in decision.referrals
        ),
    )


def update_from_contract(data: ReferralUpdateData) -> StatusUpdate:
    return StatusUpdate(data.referral_id, data.status, data.reason_code, data.by_agency)
