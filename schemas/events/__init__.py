"""Payloads (`data`) of the events agencies publish, one module per event type and version."""

from schemas.events.arrival import ArrivalData
from schemas.events.referral_update import ReferralUpdateData
from schemas.events.returns import ReturnData

__all__ = ["ArrivalData", "ReferralUpdateData", "ReturnData"]
