"""The casework worker on the real broker and PostgreSQL: decisions, updates, alerts, outbox."""

from datetime import timedelta

import orjson

from schemas.alerts import SlaBreachAlertV1
from schemas.cases import CaseChangeV1
from schemas.deadletters import DeadLetterV1
from schemas.topics import ALERTS, CASES_CHANGES, DECISIONS, EVENTS_DEADLETTER, REFERRAL_UPDATES
from services.adapters.db.uow import SqlUnitOfWork, session_factory_for
from services.domain.cases import apply_decisions
from services.domain.cases.ids import case_id_for, referral_id_for
from tests.integration.casework.conftest import (
    Stack,
    counts,
    publish_decisions,
    publish_updates,
    read_topic,
    update_event,
    wait_for,
)
from tests.unit.cases.builders import T0, decision, household, person, shipped_directory


def changes_of(stack: Stack, bootstrap: str) -> list[CaseChangeV1]:
    records = read_topic(bootstrap, stack.topic(CASES_CHANGES))
    return [CaseChangeV1.model_validate_json(r.value) for r in records]


def uow(stack: Stack) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory_for(stack.engine))


def test_an_arrival_then_a_return_of_one_person_give_one_case_with_both_on_its_timeline(
    kafka_broker, stack, worker
):
    arrival = decision("e1", person(1), household_ref=household(1))
    partner = decision("e2", person(2), household_ref=household(1))
    back = decision(
        "e3",
        person(1),
        returning=True,
        pathways=("RETURN_REINTEGRATION",),
        decided_at=T0 + timedelta(minutes=10),
    )
    worker()
    publish_decisions(kafka_broker, stack.topic(DECISIONS), [arrival, partner, back])
    wait_for(lambda: counts(stack.engine) == (3, 2, 5), what="three decisions persisted")

    with uow(stack) as work:
        case = work.cases.get_many([person(1)])[person(1)]
        timeline = work.timeline.for_case(case.case_id)
        linked = work.cases.household(household(1))
    recorded = [(e.kind, e.event_id) for e in timeline if e.kind == "event_recorded"]
    assert recorded == [("event_recorded", "e1"), ("event_recorded", "e3")]
    assert case.case_id == case_id_for(person(1))
    assert sorted(c.person_ref for c in linked) == sorted([person(1), person(2)])

    changes = changes_of(stack, kafka_broker)
    mine = [(c.sequence, c.kind) for c in changes if c.case_id == case.case_id]
    assert mine == sorted(mine) and mine[0] == (1, "case_opened")
    assert [k for _, k in mine].count("event_recorded") == 2


def test_duplicate_and_replayed_decisions_change_nothing(kafka_broker, stack, worker):
    batch = [decision(f"e{n}", person(n % 40)) for n in range(100)]
    running = worker()
    publish_decisions(kafka_broker, stack.topic(DECISIONS), batch + batch[:30])
    wait_for(lambda: counts(stack.engine)[0] == 100, what="100 events claimed")
    wait_for(lambda: running.service.outbox.pending() == 0, what="outbox drained")
    before = counts(stack.engine)
    first = changes_of(stack, kafka_broker)

    running.stop()
    publish_decisions(kafka_broker, stack.topic(DECISIONS), batch)  # a replay, after a restart
    replaying = worker()
    wait_for(lambda: replaying.service.consumed >= 100, what="the replay consumed")

    assert counts(stack.engine) == before == (100, 40, 200)
    again = changes_of(stack, kafka_broker)
    assert len(again) == len(first)
    assert len({(c.case_id, c.sequence) for c in again}) == len(again)


def test_a_referral_walks_its_whole_lifecycle_through_referral_update_events(
    kafka_broker, stack, worker
):
    d = decision("e1", person(1))
    referral_id = referral_id_for(d.decision_id, "ASYLUM_PROCEDURE")
    worker()
    publish_decisions(kafka_broker, stack.topic(DECISIONS), [d])
    wait_for(lambda: counts(stack.engine)[2] == 2, what="two referrals issued")

    steps = [("u1", "accepted"), ("u2", "in_progress"), ("u3", "completed")]
    events = [update_event(i, referral_id, s, "ITA-MOI") for i, s in steps]
    topic = stack.topic(REFERRAL_UPDATES)
    publish_updates(kafka_broker, topic, events[:1])
    publish_updates(kafka_broker, topic, events[1:2], binary=True)
    publish_updates(kafka_broker, topic, events[2:] + events[:1])  # and a redelivery of u1

    def status() -> str:
        with uow(stack) as work:
            found = work.referrals.get(referral_id)
            return found.status if found else ""

    wait_for(lambda: status() == "completed", what="the referral completed")
    with uow(stack) as work:
        timeline = work.timeline.for_case(case_id_for(person(1)))
    moves = [
        (e.detail["from_status"], e.detail["to_status"])
        for e in timeline
        if e.kind == "status_changed"
    ]
    assert moves == [
        ("pending", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "completed"),
    ]
    wait_for(
        lambda: (
            sum(
                c.kind == "referral_status_changed"
                for c in changes_of(
                    stack,
                    kafka_broker,
                )
            )
            == 3
        ),
        what="3 changes out",
    )
    assert read_topic(kafka_broker, stack.topic(EVENTS_DEADLETTER), idle_s=1) == []


def test_an_invalid_transition_is_refused_with_a_dead_letter_that_gives_the_reason(
    kafka_broker, stack, worker
):
    d = decision("e1", person(1))
    referral_id = referral_id_for(d.decision_id, "ASYLUM_PROCEDURE")
    worker()
    publish_decisions(kafka_broker, stack.topic(DECISIONS), [d])
    wait_for(lambda: counts(stack.engine)[2] == 2, what="two referrals issued")
    publish_updates(
        kafka_broker,
        stack.topic(REFERRAL_UPDATES),
        [
            update_event("u1", referral_id, "completed", "ITA-MOI"),
            update_event("u2", referral_id, "accepted", "UNHCR-ITA"),
        ],
    )
    letters = [
        DeadLetterV1.model_validate_json(r.value)
        for r in read_topic(kafka_broker, stack.topic(EVENTS_DEADLETTER), idle_s=5)
    ]

    assert [(p.path, p.reason) for letter in letters for p in letter.problems] == [
        (
            "data.status",
            "pending -> completed refused: from pending only accepted, closed, declined may follow",
        ),
        ("data.by_agency", "the referral is not assigned to this agency"),
    ]
    assert [letter.offset for letter in letters] == [0, 1]
    with uow(stack) as work:
        assert work.referrals.get(referral_id).status == "pending"


def test_an_overdue_referral_yields_exactly_one_alert_even_across_a_restart(
    kafka_broker, stack, worker
):
    d = decision("e1", person(1), pathways=("MEDICAL_CARE",), sla_hours=4)
    first = worker()
    publish_decisions(kafka_broker, stack.topic(DECISIONS), [d])
    wait_for(lambda: counts(stack.engine)[2] == 1, what="the referral issued")
    stack.clock.advance(timedelta(hours=10))
    wait_for(lambda: first.service.alerts == 1, what="the alert raised")
    wait_for(lambda: first.service.outbox.pending() == 0, what="the alert published")
    first.stop()

    stack.clock.advance(timedelta(days=2))
    second = worker()
    wait_for(lambda: second.service.sla_checks >= 3, what="SLA checks after the restart")
    assert second.service.alerts == 0
    second.stop()

    alerts = [
        SlaBreachAlertV1.model_validate_json(r.value)
        for r in read_topic(kafka_broker, stack.topic(ALERTS))
    ]
    assert [a.referral_id for a in alerts] == [referral_id_for(d.decision_id, "MEDICAL_CARE")]
    assert alerts[0].overdue_by == timedelta(hours=11) - timedelta(hours=4)
    overdue = [c for c in changes_of(stack, kafka_broker) if c.kind == "referral_overdue"]
    assert len(overdue) == 1


def test_changes_committed_but_never_published_are_published_when_a_worker_starts(
    kafka_broker, stack, worker
):
    # As after a crash between the database commit and the broker's acknowledgement.
    apply_decisions(uow(stack), [decision("e1", person(1))], directory=shipped_directory(), now=T0)
    running = worker()
    wait_for(lambda: running.service.outbox.pending() == 0, what="the outbox drained")
    records = read_topic(kafka_broker, stack.topic(CASES_CHANGES))
    ids = [dict(r.headers)["message-id"].decode() for r in records]
    change = CaseChangeV1.model_validate_json(records[0].value)
    assert ids[0] == f"{change.case_id}/{change.sequence}"
    assert [orjson.loads(r.value)["kind"] for r in records] == [
        "case_opened",
        "event_recorded",
        "referral_issued",
        "referral_issued",
    ]
