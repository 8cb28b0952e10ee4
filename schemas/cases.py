"""`org.mixflow.case-change.v1`: what happened to a case, as published on `mixflow.cases.changes`.

Case management emits one record per change, in order per case (`sequence`), so consumers can
rebuild a case's timeline and upsert idempotently on (`case_id`, `sequence`). A record carries
pseudonymous refs and codes only, never event payloads.
"""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.base import Contract
from schemas.codes import AgencyCode, HouseholdRef, PersonRef, ReferralStatus, Urgency
from schemas.decisions import PathwayCode, ReceivingActorKind, RuleId
from schemas.events.referral_update import ReasonCode, ReferralId

CASE_CHANGE_V1 = "org.mixflow.case-change.v1"

CaseId = Annotated[str, StringConstraints(pattern=r"^c_[0-9a-f]{32}$")]
"""Case token: `c_` + 32 lowercase hex."""

CaseChangeKind = Literal[
    "case_opened",
    "event_recorded",
    "referral_issued",
    "referral_status_changed",
    "referral_overdue",
    "case_closed",
]


class CaseChangeV1(Contract):
    """One change to a case; the referral fields are set for the `referral_*` kinds."""

    schema_version: Literal[1] = 1
    case_id: CaseId
    sequence: Annotated[int, Field(ge=1)]
    kind: CaseChangeKind
    at: AwareDatetime
    person_ref: PersonRef
    household_ref: HouseholdRef | None = None
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    referral_id: ReferralId | None = None
    pathway: PathwayCode | None = None
    receiving_actor: ReceivingActorKind | None = None
    receiving_agency: AgencyCode | None = None
    urgency: Urgency | None = None
    status: ReferralStatus | None = None
    previous_status: ReferralStatus | None = None
    reason_code: ReasonCode | None = None
    due_at: AwareDatetime | None = None
    ruleset_id: RuleId | None = None
    ruleset_version: Annotated[int, Field(ge=1)] | None = None
