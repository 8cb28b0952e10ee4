"""Service-level agreements: when a referral is due and which referrals are overdue.

The SLA measures the receiving agency's response: a referral is overdue while it is still
pending after `issued_at + sla_hours`. Once accepted, declined or closed the agency has
responded, and procedures that then take months (asylum, reintegration) do not breach it.
An overdue referral is alerted once: `alerted_at` is persisted, so restarts never repeat alerts.
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from services.domain.cases.model import Referral


def due_at_for(issued_at: datetime, sla_hours: int) -> datetime:
    return issued_at + timedelta(hours=sla_hours)


def is_overdue(referral: Referral, now: datetime) -> bool:
    """Pending past its due time and not yet alerted."""
    return referral.status == "pending" and referral.alerted_at is None and referral.due_at <= now


def find_overdue(referrals: Iterable[Referral], now: datetime) -> list[Referral]:
    """The referrals that need an alert now, most overdue first."""
    return sorted((r for r in referrals if is_overdue(r, now)), key=lambda r: r.due_at)


def mark_alerted(referral: Referral, at: datetime) -> Referral:
    """The referral with its alert marker set: it will not be found overdue again."""
    return replace(referral, alerted_at=at)
