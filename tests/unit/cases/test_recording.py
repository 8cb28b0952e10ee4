"""Recording a decision on a case, purely: ids, assignments, due times and timeline order."""

import re
from datetime import timedelta

import pytest

from schemas.events.referral_update import ReferralUpdateData
from services.domain.cases.ids import case_id_for, referral_id_for
from services.domain.cases.intake import intake_from_decision
from services.domain.cases.recording import record_decision
from tests.unit.cases.builders import T0, decision, household, person, shipped_directory

pytestmark = pytest.mark.unit

REFERRAL_ID = ReferralUpdateData.model_fields["referral_id"].metadata[0].pattern


def record(d, case=None):
    return record_decision(case, intake_from_decision(d), shipped_directory(), now=T0)


def test_a_first_decision_opens_a_case_and_records_event_decision_and_referrals_in_order():
    result = record(decision("e1", person(1), pathways=("ASYLUM_PROCEDURE", "MEDICAL_CARE")))
    assert result.opened
    assert result.case.case_id == case_id_for(person(1))
    assert [(e.seq, e.kind) for e in result.entries] == [
        (1, "case_opened"),
        (2, "event_recorded"),
        (3, "decision_made"),
        (4, "referral_issued"),
        (5, "referral_issued"),
    ]
    assert result.case.last_seq == 5


def test_referral_ids_are_deterministic_and_match_the_update_contract():
    d = decision("e1", person(1))
    first, second = record(d), record(d)
    assert [r.referral_id for r in first.referrals] == [r.referral_id for r in second.referrals]
    assert first.referrals[0].referral_id == referral_id_for(d.decision_id, "ASYLUM_PROCEDURE")
    assert all(re.fullmatch(REFERRAL_ID, r.referral_id) for r in first.referrals)


def test_a_referral_is_pending_assigned_by_the_directory_and_due_after_its_sla():
    d = decision("e1", person(1), pathways=("CHILD_PROTECTION",), admin1="IT-82", sla_hours=24)
    (referral,) = record(d).referrals
    assert referral.status == "pending"
    assert (referral.assigned_agency, referral.assignment_fallback) == ("ITA-82-CHILD-SVC", False)
    assert referral.issued_at == d.decided_at
    assert referral.due_at == d.decided_at + timedelta(hours=24)


def test_a_pathway_without_a_directory_entry_is_assigned_to_the_fallback_and_flagged():
    (referral,) = record(decision("e1", person(1), pathways=("BENEFITS_PORTABILITY",))).referrals
    assert (referral.assigned_agency, referral.assignment_fallback) == ("ITA-MOI", True)


def test_a_referral_carries_the_ruleset_rule_and_conditions_that_produced_it():
    d = decision("e1", person(1), pathways=("ASYLUM_PROCEDURE",))
    provenance = record(d).referrals[0].provenance
    assert (provenance.ruleset_id, provenance.ruleset_version, provenance.ruleset_digest) == (
        d.ruleset.id,
        d.ruleset.version,
        d.ruleset.digest,
    )
    assert provenance.rule_id == "asylum_procedure.rule"
    assert provenance.matched == ("protection.asylum_intent == true",)


def test_a_return_continues_the_case_and_numbers_its_entries_after_the_earlier_ones():
    arrival = record(decision("e1", person(1), household_ref=household(1)))
    back = record(
        decision("e2", person(1), returning=True, pathways=("RETURN_REINTEGRATION",)), arrival.case
    )
    assert not back.opened
    assert back.case.case_id == arrival.case.case_id
    assert back.case.household_ref == household(1)
    assert [(e.seq, e.kind) for e in back.entries] == [
        (6, "event_recorded"),
        (7, "decision_made"),
        (8, "referral_issued"),
    ]


def test_a_pathway_named_twice_in_one_decision_is_issued_once():
    result = record(decision("e1", person(1), pathways=("MEDICAL_CARE", "MEDICAL_CARE")))
    assert len(result.referrals) == 1
