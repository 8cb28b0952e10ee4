"""Indicators on the known stream: values, and suppression of figures built on small counts."""

from datetime import timedelta

import pytest

from services.domain.flows.cube import Cells, FlowCube
from services.domain.flows.indicators import Period, compute_indicators
from services.domain.flows.keys import ReferralMade

from .stream import DAY, arrival, known_stream, outcome

pytestmark = pytest.mark.unit

PERIOD = Period(DAY, DAY + timedelta(days=1), "day")


def cells_of_stream(*extra: object) -> Cells:
    cube = FlowCube()
    for obs in [*known_stream(), *extra]:
        cube.fold(obs)  # type: ignore[arg-type]
    return cube.cells


def test_referrals_count_towards_every_commitment_their_pathway_serves() -> None:
    report = compute_indicators(cells_of_stream(), PERIOD, k=5)
    counts = {c.key: c.value for c in report.referrals_by_commitment}
    assert counts["GCM-12"] == 40  # asylum 30 + information and counselling 10
    assert counts["GCM-7"] == 10
    assert counts["GCM-5"] == 10
    assert counts["GCM-21"] == 12
    assert counts["GCM-9"] == 0
    assert counts["GCR-1.6"] == 40
    assert counts["GCR-2.5"] == 10


def test_a_commitment_served_by_a_suppressed_pathway_is_suppressed() -> None:
    smuggled = arrival(45, referrals=(ReferralMade("SMUGGLING_RESPONSE", "GCM", "normal"),))
    report = compute_indicators(cells_of_stream(smuggled), PERIOD, k=5)
    counts = {c.key: c.value for c in report.referrals_by_commitment}
    assert counts["GCM-9"] is None  # one smuggled migrant: below k
    assert counts["GCM-12"] == 40


def test_a_share_over_a_small_complement_is_suppressed() -> None:
    report = compute_indicators(cells_of_stream(), PERIOD, k=5)
    sla = report.child_protection_within_sla
    assert (sla.numerator, sla.denominator, sla.share) == (None, None, None)  # 10 met, 3 missed


def test_children_referred_to_child_protection_within_sla_is_met_over_settled() -> None:
    overdue = [outcome(30 + m, outcome="overdue", sla_met=None) for m in range(2)]
    adult = outcome(40, age_band="25-59")
    report = compute_indicators(cells_of_stream(*overdue, adult), PERIOD, k=5)
    sla = report.child_protection_within_sla
    assert (sla.numerator, sla.denominator) == (10, 15)  # the late acceptance was already missed


def test_everyone_with_a_protection_signal_was_referred_to_asylum() -> None:
    report = compute_indicators(cells_of_stream(), PERIOD, k=5)
    signal = report.protection_signal_referred_to_asylum
    assert (signal.numerator, signal.denominator, signal.share) == (30, 30, 1.0)


def test_returns_by_type_hide_a_small_type_and_the_next_smallest() -> None:
    report = compute_indicators(cells_of_stream(), PERIOD, k=5)
    returns = {c.key: c.value for c in report.returns_by_type}
    assert returns == {
        "assisted_voluntary": None,
        "spontaneous_voluntary": 0,
        "forced": None,
        "all": 12,
    }


def test_reintegration_needs_and_movement_drivers_are_shares_of_people() -> None:
    report = compute_indicators(cells_of_stream(), PERIOD, k=5)
    needs = {s.key: s.share for s in report.reintegration_needs}
    assert (needs["economic"], needs["housing"], needs["legal"]) == (1.0, 0.5, 0.0)
    drivers = {s.key: (s.numerator, s.denominator) for s in report.movement_drivers}
    assert drivers["conflict"] == (30, 40)
    assert drivers["persecution"] == (10, 40)
    assert drivers["climate_disaster"] == (0, 40)


def test_refugee_and_asylum_arrivals_are_counted_per_nationality_for_sdg_10_7_4() -> None:
    report = compute_indicators(cells_of_stream(), PERIOD, k=5)
    counts = {c.key: c.value for c in report.refugee_arrivals_by_nationality}
    assert counts == {"SDN": 10, "SYR": 20, "all": 30}
    assert {c.sdg for c in report.refugee_arrivals_by_nationality} == {"10.7.4 (context)"}


def test_a_country_filter_narrows_every_indicator_to_one_population() -> None:
    report = compute_indicators(cells_of_stream(), PERIOD, k=5, filters={"country": "SEN"})
    assert {c.key: c.value for c in report.returns_by_type}["all"] == 12
    assert all(s.numerator in (0, None) for s in report.movement_drivers)
    assert report.protection_signal_referred_to_asylum.share is None


def test_a_child_filter_and_the_child_indicator_intersect_rather_than_override() -> None:
    report = compute_indicators(cells_of_stream(), PERIOD, k=1, filters={"age_band": "25-59"})
    sla = report.child_protection_within_sla
    assert (sla.numerator, sla.denominator) == (0, 0)


def test_indicator_filters_outside_the_shared_dimensions_are_refused() -> None:
    with pytest.raises(ValueError, match="indicator filters"):
        compute_indicators({}, PERIOD, k=5, filters={"pathway": "ASYLUM_PROCEDURE"})
