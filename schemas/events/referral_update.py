"""`org.mixflow.referral-update.v1`: a receiving agency changed the status of a referral."""

from typing import Annotated

from pydantic import StringConstraints

from schemas.base import Contract
from schemas.codes import AgencyCode, ReferralUpdateStatus

REFERRAL_UPDATE_V1 = "org.mixflow.referral-update.v1"

ReferralId = Annotated[str, StringConstraints(pattern=r"^r_[0-9a-f]{32}$")]
ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,47}$")]


class ReferralUpdateData(Contract):
    referral_id: ReferralId
    status: ReferralUpdateStatus
    reason_code: ReasonCode | None = None
    by_agency: AgencyCode
