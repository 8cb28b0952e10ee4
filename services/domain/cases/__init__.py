"""Case management core: cases per person, referrals and their lifecycle, SLAs, timelines.

Pure: storage is reached only through the `UnitOfWork` protocol (`ports`), time is a parameter,
contracts are read only in `intake` and written only in `outbound`. Handlers live in
`handlers`; the lifecycle table in `lifecycle`; due times and overdue detection in `sla`.
"""

from services.domain.cases.handlers import (
    apply_decision,
    apply_decisions,
    apply_referral_update,
    raise_overdue_alerts,
)
from services.domain.cases.model import AuditEntry, Case, EventKey, Referral, TimelineEntry

__all__ = [
    "AuditEntry",
    "Case",
    "EventKey",
    "Referral",
    "TimelineEntry",
    "apply_decision",
    "apply_decisions",
    "apply_referral_update",
    "raise_overdue_alerts",
]
