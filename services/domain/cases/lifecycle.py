"""The referral lifecycle as an explicit transition table.

pending -> accepted | declined; accepted -> in_progress -> completed; any open status
(pending, accepted, in_progress) -> closed. Declined, completed and closed are final.
"""

from dataclasses import replace
from datetime import datetime

from schemas.codes import ReferralStatus
from services.domain.cases.model import Referral
from services.domain.errors import TransitionError

TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    "pending": frozenset({"accepted", "declined", "closed"}),
    "accepted": frozenset({"in_progress", "closed"}),
    "in_progress": frozenset({"completed", "closed"}),
    "declined": frozenset(),
    "completed": frozenset(),
    "closed": frozenset(),
}
"""Allowed next statuses by current status."""

OPEN_STATUSES: frozenset[ReferralStatus] = frozenset({"pending", "accepted", "in_progress"})
FINAL_STATUSES: frozenset[ReferralStatus] = frozenset(
    s for s, nxt in TRANSITIONS.items() if not nxt
)


def can_transition(from_status: ReferralStatus, to_status: ReferralStatus) -> bool:
    return to_status in TRANSITIONS[from_status]


def transition(referral: Referral, to_status: ReferralStatus, *, at: datetime) -> Referral:
    """The referral in its new status, or `TransitionError` saying why the move is refused."""
    if not can_transition(referral.status, to_status):
        raise TransitionError(
            referral.referral_id, referral.status, to_status, _refusal(referral.status, to_status)
        )
    return replace(referral, status=to_status, status_changed_at=at)


def _refusal(from_status: ReferralStatus, to_status: ReferralStatus) -> str:
    if from_status == to_status:
        return f"the referral is already {from_status}"
    if from_status in FINAL_STATUSES:
        return f"{from_status} is final"
    allowed = ", ".join(sorted(TRANSITIONS[from_status]))
    return f"from {from_status} only {allowed} may follow"
