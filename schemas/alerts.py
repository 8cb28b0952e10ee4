"""`org.mixflow.sla-breach.v1`: a referral was not taken up within its SLA.

Case-management timers publish one alert per referral and breach on `mixflow.alerts`; the alert
names the referral, the case and who should have acted, never the person's facts.
"""

from datetime import timedelta
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, model_validator
from pydantic_core import PydanticCustomError

from schemas.base import Contract
from schemas.cases import CaseId
from schemas.codes import AgencyCode, ReferralStatus, Urgency
from schemas.decisions import PathwayCode, ReceivingActorKind
from schemas.events.referral_update import ReferralId

SLA_BREACH_V1 = "org.mixflow.sla-breach.v1"


class SlaBreachAlertV1(Contract):
    """A referral still open (`status`) at `detected_at`, after it was due at `due_at`."""

    schema_version: Literal[1] = 1
    referral_id: ReferralId
    case_id: CaseId
    pathway: PathwayCode
    receiving_actor: ReceivingActorKind
    receiving_agency: AgencyCode | None = None
    urgency: Urgency
    sla_hours: Annotated[int, Field(ge=1, le=8760)]
    status: ReferralStatus
    due_at: AwareDatetime
    detected_at: AwareDatetime

    @model_validator(mode="after")
    def _detected_after_due(self) -> Self:
        if self.detected_at < self.due_at:
            raise PydanticCustomError("window_mismatch", "`detected_at` is before `due_at`")
        return self

    @property
    def overdue_by(self) -> timedelta:
        return self.detected_at - self.due_at
