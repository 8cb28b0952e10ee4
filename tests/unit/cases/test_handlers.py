"""The handlers on the in-memory store: idempotency of decisions, updates and alerts.

The in-memory store passes the same contract suite as SQLite and PostgreSQL
(`tests/integration/db`); these tests add the property checks that need many runs.
"""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.adapters.db.memory import InMemoryUnitOfWork, MemoryState
from services.domain.cases import apply_decision, apply_decisions, raise_overdue_alerts
from tests.unit.cases.builders import T0, decision, person, shipped_directory

pytestmark = pytest.mark.unit

DIRECTORY = shipped_directory()


def test_applying_the_same_decision_twice_changes_nothing_the_second_time():
    uow = InMemoryUnitOfWork()
    d = decision("e1", person(1))
    assert apply_decision(uow, d, directory=DIRECTORY, now=T0) is not None
    before = uow.state.copy()
    assert apply_decision(uow, d, directory=DIRECTORY, now=T0 + timedelta(hours=1)) is None
    assert uow.state == before


def test_a_naive_clock_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        apply_decision(
            InMemoryUnitOfWork(),
            decision("e1", person(1)),
            directory=DIRECTORY,
            now=T0.replace(tzinfo=None),
        )


# A stream of (person, event) deliveries in which events repeat, as Kafka redelivers them.
deliveries = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6)), max_size=25)


def state_after(stream, batch_size):
    state = MemoryState()
    decisions = [decision(f"e{event}", person(who)) for who, event in stream]
    for start in range(0, len(decisions), batch_size):
        apply_decisions(
            InMemoryUnitOfWork(state),
            decisions[start : start + batch_size],
            directory=DIRECTORY,
            now=T0,
        )
    return state


@settings(max_examples=60, deadline=None)
@given(deliveries, st.integers(1, 8))
def test_redelivered_events_leave_the_same_state_as_each_event_once(stream, batch_size):
    # An event id names one decision; later deliveries of it are duplicates whatever they say.
    first_of_each: dict[int, tuple[int, int]] = {}
    for who, event in stream:
        first_of_each.setdefault(event, (who, event))
    once = state_after(list(first_of_each.values()), 1)
    assert state_after(stream, batch_size) == once


def test_a_restart_does_not_repeat_an_alert():
    state = MemoryState()
    apply_decision(
        InMemoryUnitOfWork(state),
        decision("e1", person(1), sla_hours=4),
        directory=DIRECTORY,
        now=T0,
    )
    late = T0 + timedelta(hours=5)
    assert len(raise_overdue_alerts(InMemoryUnitOfWork(state), now=late)) == 2
    assert raise_overdue_alerts(InMemoryUnitOfWork(state), now=late + timedelta(days=1)) == []
