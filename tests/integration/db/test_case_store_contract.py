"""One contract for case storage, run on the in-memory store, SQLite and PostgreSQL."""

from dataclasses import replace
from datetime import UTC, timedelta, timezone

import pytest

from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.domain.cases import (
    AuditEntry,
    EventKey,
    apply_decision,
    apply_decisions,
    apply_referral_update,
    raise_overdue_alerts,
)
from services.domain.cases.ids import case_id_for
from services.domain.cases.model import OutboxMessage, TimelineEntry
from services.domain.errors import (
    ReferralNotAssignedError,
    StaleReferralError,
    TransitionError,
    UnknownReferralError,
)
from tests.unit.cases.builders import (
    SOURCE,
    T0,
    decision,
    household,
    person,
    shipped_directory,
    update,
)

pytestmark = pytest.mark.integration

DIRECTORY = shipped_directory()


def apply(store, *decisions, now=T0):
    return apply_decisions(store(), decisions, directory=DIRECTORY, now=now)


def case_of(store, person_ref):
    with store() as uow:
        case = uow.cases.get_many([person_ref]).get(person_ref)
        referrals = uow.referrals.for_case(case.case_id) if case else []
        timeline = uow.timeline.for_case(case.case_id) if case else []
    return case, referrals, timeline


def issued(store, person_ref, pathway):
    _, referrals, _ = case_of(store, person_ref)
    return next(r for r in referrals if r.pathway == pathway)


def test_an_arrival_then_a_return_give_one_case_with_both_in_the_timeline(store):
    apply(store, decision("arrival-1", person(1), pathways=("ASYLUM_PROCEDURE",)))
    apply(
        store,
        decision(
            "return-1",
            person(1),
            returning=True,
            country="NGA",
            pathways=("RETURN_REINTEGRATION",),
            decided_at=T0 + timedelta(days=90),
        ),
    )
    case, referrals, timeline = case_of(store, person(1))
    assert case.case_id == case_id_for(person(1))
    assert [r.pathway for r in referrals] == ["ASYLUM_PROCEDURE", "RETURN_REINTEGRATION"]
    assert [(e.seq, e.kind, e.event_id) for e in timeline] == [
        (1, "case_opened", "arrival-1"),
        (2, "event_recorded", "arrival-1"),
        (3, "decision_made", "arrival-1"),
        (4, "referral_issued", "arrival-1"),
        (5, "event_recorded", "return-1"),
        (6, "decision_made", "return-1"),
        (7, "referral_issued", "return-1"),
    ]
    assert timeline[4].detail["event_type"] == "org.mixflow.return.v1"
    assert case.last_seq == 7


def test_a_duplicate_decision_changes_nothing(store):
    d = decision("e1", person(1))
    first = apply_decision(store(), d, directory=DIRECTORY, now=T0)
    again = apply_decision(store(), d, directory=DIRECTORY, now=T0 + timedelta(hours=2))
    assert first is not None and again is None
    case, referrals, timeline = case_of(store, person(1))
    assert case.updated_at == T0
    assert len(referrals) == 2 and len(timeline) == 5


def test_a_batch_of_a_thousand_decisions_is_persisted_once(store):
    batch = [decision(f"e{n}", person(n % 700)) for n in range(1000)]
    recorded = apply(store, *batch)
    assert len(recorded) == 1000
    assert apply(store, *batch, now=T0 + timedelta(minutes=1)) == []
    case, referrals, timeline = case_of(store, person(3))
    # person 3 appears in events 3 and 703: two decisions, two referrals each, in order.
    assert [e.event_id for e in timeline if e.kind == "event_recorded"] == ["e3", "e703"]
    assert len(referrals) == 4 and case.last_seq == 9
    with store() as uow:
        assert len(uow.cases.get_many({person(n) for n in range(700)})) == 700


def test_a_batch_mixing_new_and_processed_events_records_only_the_new_ones(store):
    apply(store, decision("e1", person(1)))
    recorded = apply(
        store, decision("e1", person(1)), decision("e2", person(2)), decision("e2", person(2))
    )
    assert [r.case.person_ref for r in recorded] == [person(2)]


def test_people_of_one_household_have_linked_cases(store):
    apply(
        store,
        decision("e1", person(1), household_ref=household(1)),
        decision("e2", person(2), household_ref=household(1)),
        decision("e3", person(3), household_ref=household(2)),
    )
    with store() as uow:
        linked = uow.cases.household(household(1))
    assert sorted(c.person_ref for c in linked) == sorted([person(1), person(2)])


def test_a_later_event_without_household_keeps_the_known_link(store):
    apply(store, decision("e1", person(1), household_ref=household(1)))
    apply(store, decision("e2", person(1), returning=True, pathways=("RETURN_REINTEGRATION",)))
    case, _, _ = case_of(store, person(1))
    assert case.household_ref == household(1)


def test_a_referral_keeps_its_assignment_provenance_and_due_time(store):
    d = decision(
        "e1",
        person(1),
        pathways=("CHILD_PROTECTION", "BENEFITS_PORTABILITY"),
        admin1="IT-82",
        sla_hours=24,
    )
    apply(store, d)
    child = issued(store, person(1), "CHILD_PROTECTION")
    benefits = issued(store, person(1), "BENEFITS_PORTABILITY")
    assert (child.assigned_agency, child.assignment_fallback) == ("ITA-82-CHILD-SVC", False)
    assert (benefits.assigned_agency, benefits.assignment_fallback) == ("ITA-MOI", True)
    assert child.due_at == T0 + timedelta(hours=24)
    assert child.due_at.tzinfo is not None and child.due_at.utcoffset() == timedelta(0)
    assert child.provenance.matched == ("protection.asylum_intent == true",)
    assert child.provenance.ruleset_digest == d.ruleset.digest


def test_times_in_other_zones_are_stored_as_the_same_instant(store):
    eastern = timezone(timedelta(hours=3))
    apply(store, decision("e1", person(1), decided_at=T0.astimezone(eastern)))
    assert issued(store, person(1), "ASYLUM_PROCEDURE").issued_at == T0.astimezone(UTC)


def test_a_referral_moves_through_its_lifecycle_and_each_step_is_on_the_timeline(store):
    apply(store, decision("e1", person(1), pathways=("ASYLUM_PROCEDURE",)))
    referral = issued(store, person(1), "ASYLUM_PROCEDURE")
    for step, status in enumerate(["accepted", "in_progress", "completed"], start=1):
        changed = apply_referral_update(
            store(), update(referral.referral_id, status, "ITA-MOI"), now=T0 + timedelta(hours=step)
        )
        assert changed.referral.status == status
    _, referrals, timeline = case_of(store, person(1))
    assert referrals[0].status == "completed"
    assert referrals[0].status_changed_at == T0 + timedelta(hours=3)
    assert [(e.detail["from_status"], e.detail["to_status"]) for e in timeline[-3:]] == [
        ("pending", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "completed"),
    ]


def test_an_invalid_transition_is_refused_and_changes_nothing(store):
    apply(store, decision("e1", person(1), pathways=("ASYLUM_PROCEDURE",)))
    referral = issued(store, person(1), "ASYLUM_PROCEDURE")
    with pytest.raises(TransitionError) as refused:
        apply_referral_update(store(), update(referral.referral_id, "completed", "ITA-MOI"), now=T0)
    assert (refused.value.from_status, refused.value.to_status) == ("pending", "completed")
    _, referrals, timeline = case_of(store, person(1))
    assert referrals[0].status == "pending" and len(timeline) == 4


def test_an_update_from_an_agency_the_referral_is_not_assigned_to_is_refused(store):
    apply(store, decision("e1", person(1), pathways=("ASYLUM_PROCEDURE",)))
    referral = issued(store, person(1), "ASYLUM_PROCEDURE")
    with pytest.raises(ReferralNotAssignedError):
        apply_referral_update(
            store(), update(referral.referral_id, "accepted", "UNHCR-ITA"), now=T0
        )


def test_an_update_of_an_unknown_referral_is_refused(store):
    with pytest.raises(UnknownReferralError):
        apply_referral_update(store(), update("r_" + "0" * 32, "accepted", "ITA-MOI"), now=T0)


def test_a_repeated_update_changes_nothing(store):
    apply(store, decision("e1", person(1), pathways=("ASYLUM_PROCEDURE",)))
    referral_id = issued(store, person(1), "ASYLUM_PROCEDURE").referral_id
    key = EventKey("urn:mixflow:agency:ITA-MOI", "upd-1")
    accepted = update(referral_id, "accepted", "ITA-MOI")
    assert apply_referral_update(store(), accepted, now=T0, event=key) is not None
    assert apply_referral_update(store(), accepted, now=T0, event=key) is None
    # Without an event key, asking for the status it already has is a redelivery too.
    assert apply_referral_update(store(), accepted, now=T0) is None
    _, _, timeline = case_of(store, person(1))
    assert [e.kind for e in timeline].count("status_changed") == 1


def test_a_status_write_based_on_a_stale_read_is_refused(store):
    apply(store, decision("e1", person(1), pathways=("ASYLUM_PROCEDURE",)))
    referral = issued(store, person(1), "ASYLUM_PROCEDURE")
    apply_referral_update(store(), update(referral.referral_id, "accepted", "ITA-MOI"), now=T0)
    with store() as uow, pytest.raises(StaleReferralError):
        uow.referrals.save_status(replace(referral, status="declined"), expected="pending")


def test_an_overdue_referral_is_alerted_exactly_once_even_across_restarts(store):
    apply(
        store,
        decision("e1", person(1), pathways=("MEDICAL_CARE",), sla_hours=4, urgency="immediate"),
    )
    apply(store, decision("e2", person(2), pathways=("MEDICAL_CARE",), sla_hours=48))
    late = T0 + timedelta(hours=5)
    alerts = raise_overdue_alerts(store(), now=late)
    assert [(a.referral.person_ref, a.referral.due_at, a.referral.alerted_at) for a in alerts] == [
        (person(1), T0 + timedelta(hours=4), late)
    ]
    assert raise_overdue_alerts(store(), now=late + timedelta(hours=1)) == []
    _, referrals, timeline = case_of(store, person(1))
    assert referrals[0].alerted_at == late
    assert timeline[-1].kind == "overdue"


def test_a_referral_answered_before_its_deadline_is_never_alerted(store):
    apply(store, decision("e1", person(1), pathways=("ASYLUM_PROCEDURE",), sla_hours=4))
    referral_id = issued(store, person(1), "ASYLUM_PROCEDURE").referral_id
    apply_referral_update(
        store(), update(referral_id, "accepted", "ITA-MOI"), now=T0 + timedelta(hours=1)
    )
    assert raise_overdue_alerts(store(), now=T0 + timedelta(days=30)) == []


def test_a_unit_of_work_left_without_commit_leaves_no_trace(store):
    with store() as uow:
        uow.events.claim([EventKey("s", "e1")], T0)
        uow.audit.append(AuditEntry("op-1", "operator", "rules.publish", "default", T0))
    with store() as uow:
        assert uow.events.claim([EventKey("s", "e1")], T0) == {EventKey("s", "e1")}
        assert uow.audit.entries() == []


def test_a_failing_batch_records_none_of_its_decisions(store):
    # The second decision cannot be written (its timeline numbering clashes with a stored
    # entry), so the first, already staged in the same transaction, must vanish with it.
    apply(store, decision("e0", person(2)))
    with store() as uow:
        case = uow.cases.get_many([person(2)])[person(2)]
        uow.cases.save_many([replace(case, last_seq=0)])
        uow.commit()
    with pytest.raises(Exception):  # noqa: B017 - each store names the clash in its own way
        apply(store, decision("e1", person(1)), decision("e2", person(2)))
    assert case_of(store, person(1)) == (None, [], [])
    with store() as uow:
        assert uow.events.claim([EventKey(SOURCE, "e1")], T0) == {EventKey(SOURCE, "e1")}


def test_the_audit_log_returns_entries_in_the_order_they_were_written(store):
    with store() as uow:
        for n in range(3):
            uow.audit.append(
                AuditEntry(
                    f"cw-{n}",
                    "caseworker",
                    "referral.accept",
                    "r_x",
                    T0 + timedelta(minutes=n),
                    {"n": n},
                )
            )
        uow.audit.append(AuditEntry("op", "operator", "rules.publish", "default", T0))
        uow.commit()
    with store() as uow:
        assert [e.actor for e in uow.audit.entries("r_x")] == ["cw-0", "cw-1", "cw-2"]
        assert uow.audit.entries()[-1].detail == {}
        assert uow.audit.entries("r_x")[2].detail == {"n": 2}


def test_events_claimed_earlier_in_the_same_unit_of_work_are_not_claimed_again(store):
    with store() as uow:
        assert uow.events.claim([EventKey("s", "a")], T0) == {EventKey("s", "a")}
        both = [EventKey("s", "a"), EventKey("s", "b")]
        assert uow.events.claim(both, T0) == {EventKey("s", "b")}
        uow.commit()


def test_a_case_saved_twice_in_one_call_keeps_its_last_state(store):
    apply(store, decision("e0", person(1)))
    with store() as uow:
        case = uow.cases.get_many([person(1)])[person(1)]
        later = replace(case, last_seq=case.last_seq + 5, updated_at=T0 + timedelta(hours=1))
        uow.cases.save_many([replace(case, last_seq=case.last_seq + 1), later])
        uow.commit()
    assert case_of(store, person(1))[0] == later


def test_text_with_tabs_newlines_and_backslashes_is_stored_as_written(store):
    awkward = 'a\tb\nc\\d "e" \\N é\r'
    apply(store, decision("e0", person(1)))
    with store() as uow:
        case = uow.cases.get_many([person(1)])[person(1)]
        entry = TimelineEntry(case.case_id, case.last_seq + 1, "overdue", T0, None, awkward, {
            "reason_code": awkward, "n": 3, "flag": True, "none": None,
        })  # fmt: skip
        uow.timeline.add_many([entry])
        uow.cases.save_many([replace(case, last_seq=entry.seq)])
        uow.commit()
    assert case_of(store, person(1))[2][-1] == entry


@pytest.mark.parametrize("write", ["claim", "timeline", "outbox"])
def test_sql_stores_refuse_a_naive_time_rather_than_guess_its_zone(db_url, write):
    migrate(db_url)
    engine = create_engine_for(db_url)
    naive = T0.replace(tzinfo=None)
    try:
        with SqlUnitOfWork(session_factory_for(engine)) as uow, pytest.raises(Exception) as err:
            if write == "claim":
                uow.events.claim([EventKey("s", "a")], naive)
            elif write == "timeline":
                uow.timeline.add_many([TimelineEntry("c_x", 1, "overdue", naive)])
            else:
                uow.outbox.add_many([OutboxMessage("m", "t", "k", "{}", naive)])
        # SQLAlchemy wraps the type's refusal; the COPY path raises it directly.
        refusal = getattr(err.value, "orig", err.value)
        assert isinstance(refusal, ValueError) and "naive" in str(refusal)
    finally:
        engine.dispose()


def test_adding_a_referral_that_exists_keeps_the_stored_one_and_adds_the_others(store):
    apply(store, decision("e0", person(1)))
    stored = case_of(store, person(1))[1]
    fresh = replace(stored[0], referral_id="r_" + "f" * 32, status_changed_at=T0)
    with store() as uow:
        clash = replace(stored[0], assigned_agency="SOMEONE-ELSE")
        uow.referrals.add_many([clash, fresh])
        uow.commit()
    after = {r.referral_id: r for r in case_of(store, person(1))[1]}
    assert after[stored[0].referral_id] == stored[0] and after[fresh.referral_id] == fresh
