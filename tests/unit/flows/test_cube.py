"""The cube counts a known stream into fine cells; rollups derive every marginal from them."""

from datetime import timedelta

import pytest

from services.domain.flows.cube import FlowCube
from services.domain.flows.keys import cells_of
from services.domain.flows.rollup import rollup, total

from .stream import ASYLUM, DAY, arrival, known_stream, outcome

pytestmark = pytest.mark.unit


@pytest.fixture
def cube() -> FlowCube:
    folded = FlowCube(grace=timedelta(hours=1))
    for obs in known_stream():
        folded.fold(obs)
    return folded


def test_an_arrival_touches_one_person_cell_and_one_cell_per_distinct_pathway() -> None:
    obs = arrival(0, referrals=(ASYLUM, ASYLUM))
    assert [measure for measure, _ in cells_of(obs)] == ["arrivals", "referrals"]
    assert FlowCube().fold(obs).counted == 4  # two cells, in the hour and in the day


def test_an_outcome_touches_a_single_cell() -> None:
    assert len(cells_of(outcome(0))) == 1


def test_a_day_of_the_known_stream_counts_people_referrals_and_outcomes(cube: FlowCube) -> None:
    def day(measure: str) -> int:
        return total(cube.cells, measure=measure, granularity="day")  # type: ignore[arg-type]

    assert (day("arrivals"), day("returns"), day("referrals"), day("outcomes")) == (40, 12, 72, 14)


def test_hours_add_up_to_the_day(cube: FlowCube) -> None:
    hours = rollup(cube.cells, measure="arrivals", granularity="hour", group_by=["window"])
    assert hours == {(DAY + timedelta(hours=9),): 40}
    by_hour = rollup(cube.cells, measure="referrals", granularity="hour", group_by=["window"])
    assert sum(by_hour.values()) == total(cube.cells, measure="referrals", granularity="day")


def test_rollup_groups_by_any_subset_of_dimensions_after_filters(cube: FlowCube) -> None:
    by_nationality_sex = rollup(
        cube.cells, measure="arrivals", granularity="day", group_by=["nationality", "sex"]
    )
    assert by_nationality_sex == {("SYR", "male"): 20, ("SDN", "male"): 10, ("TUN", "female"): 10}
    children = rollup(
        cube.cells,
        measure="referrals",
        granularity="day",
        group_by=["pathway"],
        filters={"age_band": ("0-4", "5-11", "12-17")},
    )
    assert children == {("ASYLUM_PROCEDURE",): 10, ("CHILD_PROTECTION",): 10}


def test_grouping_by_a_multi_valued_dimension_counts_a_person_once_per_value(
    cube: FlowCube,
) -> None:
    reasons = rollup(
        cube.cells, measure="arrivals", granularity="day", group_by=["movement_reasons"]
    )
    assert reasons == {("conflict",): 30, ("persecution",): 10, ("economic",): 10}
    citing_persecution = total(
        cube.cells,
        measure="arrivals",
        granularity="day",
        filters={"movement_reasons": "persecution"},
    )
    assert citing_persecution == 10


def test_an_empty_set_of_reasons_groups_as_none() -> None:
    cube = FlowCube()
    cube.fold(arrival(0, movement_reasons=()))
    assert rollup(
        cube.cells, measure="arrivals", granularity="day", group_by=["movement_reasons"]
    ) == {(None,): 1}


def test_a_period_keeps_only_windows_starting_inside_it(cube: FlowCube) -> None:
    assert (
        total(cube.cells, measure="arrivals", granularity="hour", end=DAY + timedelta(hours=9)) == 0
    )
    after = total(
        cube.cells, measure="arrivals", granularity="hour", start=DAY + timedelta(hours=9)
    )
    assert after == 40


def test_an_unknown_dimension_is_refused_with_the_ones_that_exist() -> None:
    with pytest.raises(ValueError, match="pathway"):
        rollup({}, measure="arrivals", granularity="day", group_by=["pathway"])
    with pytest.raises(ValueError, match="no dimension"):
        rollup({}, measure="arrivals", granularity="day", filters={"urgency": "high"})


def test_a_late_event_within_grace_still_counts_in_its_window() -> None:
    cube = FlowCube(grace=timedelta(minutes=30))
    cube.fold(arrival(0))  # 09:00
    cube.fold(arrival(80))  # 10:20, stream time moves on
    folded = cube.fold(arrival(50))  # 09:50: its hour closed at 10:00, grace ends 10:30
    assert folded.late == 0
    hours = rollup(cube.cells, measure="arrivals", granularity="hour", group_by=["window"])
    assert hours[(DAY + timedelta(hours=9),)] == 2


def test_an_event_after_the_grace_is_counted_as_too_late_and_never_lost() -> None:
    cube = FlowCube(grace=timedelta(minutes=30))
    cube.fold(arrival(0))
    cube.fold(arrival(100))  # 10:40: the 09:00 hour is closed for good
    folded = cube.fold(arrival(5))
    assert folded.late == 2 and folded.counted == 2  # too late for its hour, not for its day
    assert cube.late_total("arrivals", "hour") == 1
    assert total(cube.cells, measure="arrivals", granularity="day") == 3
    assert total(cube.cells, measure="arrivals", granularity="hour") == 2


def test_an_idle_partition_can_advance_stream_time() -> None:
    cube = FlowCube(grace=timedelta(0))
    cube.advance(DAY + timedelta(days=2))
    assert cube.fold(arrival(0)).late == 4
    cube.advance(DAY)  # stream time never moves back
    assert cube.watermark is not None and cube.fold(arrival(1)).late == 4
