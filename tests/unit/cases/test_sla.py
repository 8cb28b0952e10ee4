"""SLA: due times, which referrals are overdue, and the one-alert marker."""

from dataclasses import replace
from datetime import timedelta

import pytest

from services.domain.cases.intake import intake_from_decision
from services.domain.cases.recording import issue_referral, open_or_continue
from services.domain.cases.sla import due_at_for, find_overdue, is_overdue, mark_alerted
from tests.unit.cases.builders import T0, decision, person, shipped_directory

pytestmark = pytest.mark.unit


def referral(n: int = 1, sla_hours: int = 24, **changes):
    intake = intake_from_decision(decision(f"e{n}", person(n), sla_hours=sla_hours))
    case = open_or_continue(None, intake, T0)
    return replace(
        issue_referral(case, intake, intake.referrals[0], shipped_directory()), **changes
    )


def test_a_referral_is_due_its_sla_hours_after_it_was_issued():
    assert due_at_for(T0, 4) == T0 + timedelta(hours=4)
    assert referral(sla_hours=72).due_at == T0 + timedelta(hours=72)


def test_a_pending_referral_becomes_overdue_at_its_due_time_not_before():
    r = referral(sla_hours=24)
    assert not is_overdue(r, T0 + timedelta(hours=24) - timedelta(microseconds=1))
    assert is_overdue(r, T0 + timedelta(hours=24))


@pytest.mark.parametrize("status", ["accepted", "in_progress", "declined", "completed", "closed"])
def test_a_referral_the_agency_has_responded_to_is_never_overdue(status):
    assert not is_overdue(referral(status=status), T0 + timedelta(days=365))


def test_an_alerted_referral_is_not_overdue_again():
    alerted = mark_alerted(referral(), T0 + timedelta(days=2))
    assert not is_overdue(alerted, T0 + timedelta(days=30))


def test_find_overdue_returns_only_overdue_referrals_most_overdue_first():
    late = referral(1, sla_hours=4)
    later = referral(2, sla_hours=1)
    not_yet = referral(3, sla_hours=100)
    answered = referral(4, sla_hours=1, status="accepted")
    found = find_overdue([late, not_yet, answered, later], T0 + timedelta(hours=10))
    assert [r.referral_id for r in found] == [later.referral_id, late.referral_id]


def test_marking_an_alert_records_when_it_was_raised():
    at = T0 + timedelta(hours=5)
    assert mark_alerted(referral(sla_hours=4), at).alerted_at == at
