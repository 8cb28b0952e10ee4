"""Each operator and combinator, on real events, through the compiled (indexed) engine."""

import random

import pytest

from schemas.events.arrival import ArrivalData
from schemas.events.returns import ReturnData
from services.domain.rules.compile import compile_ruleset
from services.domain.rules.conditions import predicate
from services.domain.rules.engine import SAFEGUARD_BASE
from services.domain.rules.fields import EVENT_TYPES
from services.domain.rules.synthetic import generate_ruleset, sample_events
from tests.unit.rules.builders import arrival, compiled, pathways, returned

pytestmark = pytest.mark.unit


def holds(condition: str, data: ArrivalData | ReturnData) -> bool:
    rules = f"""
  - id: probe
    description: probe
    priority: 1
    applies_to: [arrival, return]
    when: {condition}
    refer: {{pathway: GBV_SUPPORT, sla_hours: 48}}
"""
    return "GBV_SUPPORT" in pathways(compiled(rules), data)


@pytest.mark.parametrize(
    ("condition", "data", "expected"),
    [
        ("{field: protection.gbv_risk, eq: true}", arrival(protection={"gbv_risk": True}), True),
        ("{protection.gbv_risk: true}", arrival(), False),
        ("{legal_status: {ne: asylum_seeker}}", arrival(), True),
        ("{legal_status: [asylum_seeker, stateless]}", arrival(legal_status="stateless"), True),
        ("{legal_status: {in: [asylum_seeker]}}", arrival(), False),
        ("{legal_status: {not_in: [asylum_seeker]}}", arrival(), True),
        ("{months_abroad: {lt: 30}}", returned(), False),
        ("{months_abroad: {le: 30}}", returned(), True),
        ("{months_abroad: {gt: 29}}", returned(), True),
        ("{months_abroad: {ge: 31}}", returned(), False),
        ("{demographics.age_band: {lt: 18-24}}", arrival(demographics={"age_band": "12-17"}), True),
        ("{demographics.age_band: {le: 12-17}}", arrival(), False),
        ("{demographics.age_band: {gt: 25-59}}", arrival(demographics={"age_band": "60+"}), True),
        ("{demographics.age_band: {ge: 18-24}}", arrival(demographics={"age_band": "5-11"}), False),
        ("{household_ref: {exists: true}}", arrival(), True),
        ("{household_ref: {missing: true}}", arrival(household_ref=None), True),
        ("{protection.trafficking_indicators: {exists: true}}", arrival(), False),
        ("{movement_reasons: {contains: economic}}", arrival(movement_reasons=["economic"]), True),
        ("{movement_reasons: {contains: family}}", arrival(movement_reasons=["economic"]), False),
        (
            "{movement_reasons: {intersects: [family, economic]}}",
            arrival(movement_reasons=["economic"]),
            True,
        ),
        (
            "{movement_reasons: {intersects: [family]}}",
            arrival(movement_reasons=["conflict"]),
            False,
        ),
        ("{journey.smuggler_involved: true}", arrival(), False),
        ("{journey.smuggler_involved: {missing: true}}", arrival(), True),
    ],
)
def test_each_operator_compares_the_field_as_documented(
    condition: str, data: object, expected: bool
) -> None:
    assert holds(condition, data) is expected  # type: ignore[arg-type]


def test_all_needs_every_part_and_any_needs_one() -> None:
    data = arrival(protection={"gbv_risk": True})
    assert holds("{all: [{protection.gbv_risk: true}, {legal_status: irregular_migrant}]}", data)
    assert not holds("{all: [{protection.gbv_risk: true}, {legal_status: stateless}]}", data)
    assert holds("{any: [{legal_status: stateless}, {protection.gbv_risk: true}]}", data)
    assert not holds("{any: [{legal_status: stateless}, {protection.pregnant: true}]}", data)


def test_not_inverts_and_a_list_means_all() -> None:
    assert holds("{not: {legal_status: stateless}}", arrival())
    assert not holds("{not: {legal_status: irregular_migrant}}", arrival())
    assert holds("[{legal_status: irregular_migrant}, {documents: valid}]", arrival())


def test_a_test_on_a_field_the_event_type_lacks_does_not_hold() -> None:
    assert not holds("{protection.asylum_intent: false}", returned())
    assert holds("{not: {protection.asylum_intent: true}}", returned())


@pytest.mark.parametrize("size", [100, 1000])
def test_the_indexed_matcher_finds_exactly_the_rules_whose_conditions_hold(size: int) -> None:
    ruleset = generate_ruleset(size, random.Random(size))
    engine = compile_ruleset(ruleset)
    tests = {}
    for event_type in EVENT_TYPES.values():
        mine = [r for r in ruleset.rules if event_type in {EVENT_TYPES[k] for k in r.applies_to}]
        regular = [r for r in sorted(mine, key=lambda r: r.priority) if not r.fallback]
        tests[event_type] = [predicate(rule.when, event_type) for rule in regular]
    for event_type, data in sample_events(300, random.Random(1)):
        expected = [i for i, holds_for in enumerate(tests[event_type]) if holds_for(data)]
        found = sorted(hit for hit in engine.plans[event_type].match(data) if hit < SAFEGUARD_BASE)
        assert found == expected
