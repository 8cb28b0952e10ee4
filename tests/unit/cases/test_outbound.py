"""Core results as the published contracts: case changes and SLA-breach alerts."""

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from schemas.decisions import DecisionV1
from schemas.envelope import parse_structured
from schemas.events.referral_update import ReferralUpdateData
from services.adapters.db.memory import InMemoryUnitOfWork, MemoryState
from services.domain.cases import apply_decision, apply_referral_update, raise_overdue_alerts
from services.domain.cases.outbound import (
    breach_alert,
    case_change,
    change_json,
    decision_changes,
    decision_messages,
    overdue_change,
    status_change,
)
from services.domain.rules import compile_ruleset, load_ruleset
from services.domain.synthetic import PROFILES, generate
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


def _routed(count: int, seed: int) -> list[DecisionV1]:
    """Decisions as casework reads them: routed by the default ruleset, parsed from JSON."""
    path = Path(__file__).resolve().parents[3] / "routing_rules" / "default.yaml"
    engine = compile_ruleset(load_ruleset(path.read_text()).ruleset)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    now = start + timedelta(days=400)
    east = timezone(timedelta(hours=2))
    routed = []
    for number, document in enumerate(
        generate(PROFILES["mixed"], random.Random(seed), start=start, count=count)
    ):
        if number % 3 == 0:  # an agency that stamps local time with its offset
            at = datetime.fromisoformat(document["time"]).astimezone(east)
            document = {**document, "time": at.isoformat()}
        decided = now + timedelta(microseconds=number % 7 * 120_000)
        decision = engine.route(parse_structured(orjson.dumps(document), now=now), now=decided)
        routed.append(DecisionV1.model_validate_json(decision.to_json()))
    return routed


def test_change_json_writes_the_bytes_of_the_validated_contract():
    state = MemoryState()
    published = 0
    recorded_all = []
    for d in _routed(1500, 51):
        recorded = apply_decision(InMemoryUnitOfWork(state), d, directory=DIRECTORY, now=T0)
        recorded_all.append(recorded)
        expected = [c.model_dump_json() for c in decision_changes(recorded)]
        messages = decision_messages(recorded, at=T0)
        assert [m.payload for m in messages] == expected
        assert [m.message_id for m in messages] == [
            f"{c.case_id}/{c.sequence}" for c in decision_changes(recorded)
        ]
        published += len(messages)
    assert published > 4000
    # Status changes carry the previous status and a reason; overdue entries neither.
    later = T0 + timedelta(hours=1, microseconds=5)
    for number, recorded in enumerate(recorded_all[:300]):
        referral = recorded.referrals[0]
        status = ("accepted", "declined")[number % 2]
        changed = apply_referral_update(
            InMemoryUnitOfWork(state),
            ReferralUpdateData(
                referral_id=referral.referral_id,
                status=status,
                reason_code="outside_mandate" if status == "declined" else None,
                by_agency=referral.assigned_agency,
            ),
            now=later,
        )
        assert change_json(changed.case, changed.entry, changed.referral) == (
            case_change(changed.case, changed.entry, changed.referral).model_dump_json()
        )
    overdue = raise_overdue_alerts(InMemoryUnitOfWork(state), now=datetime(2030, 1, 1, tzinfo=UTC))
    assert len(overdue) > 100
    for found in overdue:
        assert change_json(found.case, found.entry, found.referral) == (
            overdue_change(found).model_dump_json()
        )
