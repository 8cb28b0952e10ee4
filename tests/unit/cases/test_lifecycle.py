"""The referral lifecycle: every pair of statuses is either an allowed move or a refusal."""

from dataclasses import replace
from datetime import timedelta
from itertools import product
from typing import get_args

import pytest

from schemas.codes import ReferralStatus
from services.domain.cases.intake import intake_from_decision
from services.domain.cases.lifecycle import FINAL_STATUSES, OPEN_STATUSES, transition
from services.domain.cases.recording import issue_referral, open_or_continue
from services.domain.errors import TransitionError
from tests.unit.cases.builders import T0, decision, person, shipped_directory

pytestmark = pytest.mark.unit

STATUSES: tuple[ReferralStatus, ...] = get_args(ReferralStatus)
# Written out independently of the implementation's table, from the issue's description.
ALLOWED = {
    ("pending", "accepted"),
    ("pending", "declined"),
    ("pending", "closed"),
    ("accepted", "in_progress"),
    ("accepted", "closed"),
    ("in_progress", "completed"),
    ("in_progress", "closed"),
}
PAIRS = list(product(STATUSES, STATUSES))


def referral_in(status: ReferralStatus):
    intake = intake_from_decision(decision("e1", person(1)))
    case = open_or_continue(None, intake, T0)
    issued = issue_referral(case, intake, intake.referrals[0], shipped_directory())
    return replace(issued, status=status)


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_an_allowed_move_changes_the_status_and_stamps_the_time(current, target):
    moved = transition(referral_in(current), target, at=T0 + timedelta(hours=1))
    assert (moved.status, moved.status_changed_at) == (target, T0 + timedelta(hours=1))


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p not in ALLOWED])
def test_a_move_outside_the_table_is_refused_with_both_statuses_and_a_reason(current, target):
    referral = referral_in(current)
    with pytest.raises(TransitionError) as refused:
        transition(referral, target, at=T0)
    error = refused.value
    assert (error.referral_id, error.from_status, error.to_status) == (
        referral.referral_id,
        current,
        target,
    )
    assert error.reason


def test_every_open_status_can_be_closed_and_no_final_status_can_move():
    assert {s for s in STATUSES if (s, "closed") in ALLOWED} == OPEN_STATUSES
    assert {"declined", "completed", "closed"} == FINAL_STATUSES


def test_a_refused_move_says_when_the_status_is_final():
    with pytest.raises(TransitionError, match="completed is final"):
        transition(referral_in("completed"), "closed", at=T0)
