"""Core results as the published contracts: case changes and SLA-breach alerts."""

from datetime import timedelta

import pytest

from services.adapters.db.memory import InMemoryUnitOfWork, MemoryState
from services.domain.cases import apply_decision, apply_referral_update, raise_overdue_alerts
from services.domain.cases.outbound import (
    breach_alert,
    decision_changes,
    overdue_change,
    status_change,
)
from tests.unit.cases.builders import T0, decision, household, person, shipped_directory, update

pytestmark = pytest.mark.unit

DIRECTORY = shipped_directory()


def test_a_recorded_decision_publishes_every_entry_but_the_decision_itself_in_order():
    state = MemoryState()
    d = decision("e1", person(1), household_ref=household(1), pathways=("MEDICAL_CARE",))
    recorded = apply_decision(InMemoryUnitOfWork(state), d, directory=DIRECTORY, now=T0)
    changes = decision_changes(recorded)
    assert [(c.sequence, c.kind) for c in changes] == [
        (1, "case_opened"),
        (2, "event_recorded"),
        (4, "referral_issued"),
    ]
    issued = changes[-1]
    assert (issued.person_ref, issued.household_ref) == (person(1), household(1))
    assert (issued.pathway, issued.receiving_agency, issued.status) == (
        "MEDICAL_CARE",
        "ITA-SSN",
        "pending",
    )
    assert issued.due_at == T0 + timedelta(hours=72)


def test_a_status_change_publishes_both_statuses_and_the_reason():
    state = MemoryState()
    recorded = apply_decision(
        InMemoryUnitOfWork(state),
        decision("e1", person(1), pathways=("ASYLUM_PROCEDURE",)),
        directory=DIRECTORY,
        now=T0,
    )
    referral_id = recorded.referrals[0].referral_id
    changed = apply_referral_update(
        InMemoryUnitOfWork(state),
        update(referral_id, "declined", "ITA-MOI", reason="outside_mandate"),
        now=T0 + timedelta(hours=1),
    )
    change = status_change(changed)
    assert (change.kind, change.previous_status, change.status, change.reason_code) == (
        "referral_status_changed",
        "pending",
        "declined",
        "outside_mandate",
    )


def test_an_overdue_referral_publishes_a_change_and_a_breach_alert():
    state = MemoryState()
    apply_decision(
        InMemoryUnitOfWork(state),
        decision("e1", person(1), pathways=("MEDICAL_CARE",), sla_hours=4, urgency="immediate"),
        directory=DIRECTORY,
        now=T0,
    )
    (overdue,) = raise_overdue_alerts(InMemoryUnitOfWork(state), now=T0 + timedelta(hours=6))
    assert overdue_change(overdue).kind == "referral_overdue"
    alert = breach_alert(overdue)
    assert (alert.receiving_agency, alert.urgency, alert.overdue_by) == (
        "ITA-SSN",
        "immediate",
        timedelta(hours=2),
    )
