"""What a caseworker sees of a case: their referrals and the shared facts, nothing else."""

from datetime import timedelta

import pytest

from services.adapters.db.memory import InMemoryUnitOfWork, MemoryState
from services.casework.views import case_view
from services.domain.access import Principal
from services.domain.cases import apply_decision
from services.domain.cases.ids import case_id_for
from tests.unit.cases.builders import T0, decision, person, shipped_directory

pytestmark = pytest.mark.unit


def stored_case():
    state = MemoryState()
    apply_decision(
        InMemoryUnitOfWork(state), decision("e1", person(1)), directory=shipped_directory(), now=T0
    )
    with InMemoryUnitOfWork(state) as uow:
        case = uow.cases.get_many([person(1)])[person(1)]
        return case, uow.referrals.for_case(case.case_id), uow.timeline.for_case(case.case_id)


def test_a_caseworker_sees_only_entries_about_their_referrals_and_trimmed_shared_facts():
    case, referrals, timeline = stored_case()
    moi = Principal("t1", "ITA-MOI", "caseworker")
    theirs = [r for r in referrals if r.assigned_agency == "ITA-MOI"]
    view = case_view(moi, case, theirs, timeline, [], now=T0 + timedelta(days=4))
    assert [e.kind for e in view.timeline] == ["case_opened", "event_recorded", "referral_issued"]
    assert set(view.timeline[1].detail) <= {"event_type", "country", "admin1", "household_ref"}
    assert [r.overdue for r in view.referrals] == [True]
    assert view.case_id == case_id_for(person(1))


def test_an_admin_sees_the_whole_timeline():
    case, referrals, timeline = stored_case()
    admin = Principal("t2", "MIXFLOW", "admin")
    view = case_view(admin, case, referrals, timeline, [], now=T0)
    assert len(view.timeline) == len(timeline) and not any(r.overdue for r in view.referrals)
