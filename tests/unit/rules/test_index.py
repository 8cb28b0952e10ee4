"""The bit-mask matcher against plain evaluation: every rule, safeguard premise and read."""

import copy
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from schemas.envelope import parse_structured
from schemas.events.arrival import ARRIVAL_V1, ArrivalData
from schemas.events.returns import RETURN_V1, ReturnData
from schemas.rules import Ruleset
from services.domain.rules import index
from services.domain.rules.compile import compile_ruleset, ordered_rules
from services.domain.rules.conditions import predicate
from services.domain.rules.engine import BRANCH_BASE, SAFEGUARD_BASE
from services.domain.rules.explain import branch_lines, needs_event
from services.domain.rules.fields import EVENT_TYPES
from services.domain.rules.load import load_ruleset
from services.domain.rules.safeguards import SAFEGUARDS
from services.domain.rules.synthetic import generate_ruleset, sample_events
from services.domain.synthetic import PROFILES, generate
from tests.unit.rules.builders import (
    ARRIVAL,
    RETURN,
    arrival,
    compiled,
    pathways,
    returned,
    ruleset,
)

pytestmark = pytest.mark.unit

DEFAULT = Path(__file__).resolve().parents[3] / "routing_rules" / "default.yaml"


def _expected(ruleset: Ruleset, event_type: str, data: Any) -> list[int]:
    """Positions of the rules, safeguard premises and explained `any` branches that hold, by
    plain evaluation."""
    key = (id(ruleset), event_type)
    if key not in _PREDICATES:
        mine = [
            r
            for r in ordered_rules(ruleset)
            if event_type in {EVENT_TYPES[k] for k in r.applies_to}
        ]
        regular = [rule for rule in mine if not rule.fallback]
        # A branch's bit is set when its rule holds and the branch does.
        branches = [
            (predicate(rule.when, event_type), predicate(branch, event_type))
            for rule in regular
            if rule.when is not None and needs_event(rule.when)
            for branch in branch_lines(rule.when)[0]
        ]
        _PREDICATES[key] = (
            ruleset,
            [predicate(rule.when, event_type) for rule in regular],
            [lambda d, r=rule, b=branch: r(d) and b(d) for rule, branch in branches],
        )
    _, rule_predicates, branch_predicates = _PREDICATES[key]
    rules = [i for i, holds in enumerate(rule_predicates) if holds(data)]
    premises = [SAFEGUARD_BASE + i for i, s in enumerate(SAFEGUARDS) if s.applies(data, event_type)]
    held = [BRANCH_BASE + i for i, holds in enumerate(branch_predicates) if holds(data)]
    return rules + premises + held


_PREDICATES: dict[tuple[int, str], tuple[Ruleset, list[Any], list[Any]]] = {}
"""Plain predicates of a ruleset's rules and explained branches, built once (the ruleset is
kept with them)."""


def _namespace(value: Any) -> Any:
    """The same event as plain attributes: the matcher's read through attributes, not `__dict__`."""
    if isinstance(value, BaseModel):
        return SimpleNamespace(**{k: _namespace(v) for k, v in value.__dict__.items()})
    return value


class _Slotted:
    """An event object without `__dict__`: only attribute reads work."""

    __slots__ = ("_data",)

    def __init__(self, data: Any) -> None:
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        value = getattr(object.__getattribute__(self, "_data"), name)
        return _Slotted(value) if isinstance(value, BaseModel) else value


def _varied(rng: random.Random) -> list[tuple[str, Any]]:
    """Generated events, and some with optional fields absent and codes no rule names."""
    events: list[tuple[str, Any]] = []
    for event_type, data in sample_events(300, rng):
        events.append((event_type, data))
        raw = data.model_dump()
        if event_type == ARRIVAL_V1:
            raw["journey"]["smuggler_involved"] = rng.choice([None, True, False])
            raw["location"]["admin1"] = rng.choice([None, "IT-82", f"XX-{rng.randint(0, 99)}"])
            raw["livelihood"]["occupation_isco"] = rng.choice([None, "2211"])
            events.append((event_type, ArrivalData.model_validate(raw)))
        else:
            raw["months_abroad"] = rng.randint(0, 600)
            events.append((event_type, ReturnData.model_validate(raw)))
    return events


@pytest.mark.parametrize("size", [10, 100, 400])
def test_the_mask_holds_exactly_the_rules_and_premises_that_hold_read_any_way(size: int) -> None:
    ruleset = generate_ruleset(size, random.Random(size + 3))
    engine = compile_ruleset(ruleset)
    for event_type, data in _varied(random.Random(size)):
        expected = _expected(ruleset, event_type, data)
        plan = engine.plans[event_type]
        assert plan.match(data) == expected
        assert plan.match(_namespace(data)) == expected
        assert plan.match(_Slotted(data)) == expected


def test_the_default_ruleset_matches_as_plain_evaluation_does() -> None:
    ruleset = load_ruleset(DEFAULT.read_text()).ruleset
    engine = compile_ruleset(ruleset)
    for event_type, data in _varied(random.Random(5)):
        assert engine.plans[event_type].match(data) == _expected(ruleset, event_type, data)


SHAPES = """
  - id: either
    description: an any across fields (a lane)
    priority: 1
    applies_to: [arrival, return]
    when:
      any:
        - protection.asylum_intent: true
        - protection.fear_of_return: true
        - demographics.nationality: XXA
    refer: {pathway: ASYLUM_PROCEDURE, sla_hours: 72}
  - id: neither
    description: a not over an any across fields (becomes tests on single fields)
    priority: 2
    applies_to: arrival
    when:
      not:
        any:
          - protection.gbv_risk: true
          - legal_status: [stateless, recognised_refugee]
    refer: {pathway: LABOUR_MOBILITY, sla_hours: 168}
  - id: tangled
    description: an any with a branch across fields (evaluated directly)
    priority: 3
    applies_to: arrival
    when:
      - demographics.age_band: {ge: "18-24"}
      - any:
          - all:
              - livelihood.job_offer: true
              - livelihood.skill_level: [medium, high]
          - movement_reasons: {contains: economic}
    refer: {pathway: SKILLS_RECOGNITION, sla_hours: 336}
  - id: not-both
    description: a not over an all across fields (a lane)
    priority: 4
    applies_to: [arrival, return]
    when:
      not:
        all:
          - protection.medical_need: chronic
          - protection.disability: true
    refer: {pathway: MEDICAL_CARE, sla_hours: 168}
  - id: codes
    description: codes, presence, numbers and lists
    priority: 5
    applies_to: return
    when:
      - return_country: {not_in: [NGA, SYR]}
      - household_ref: {exists: true}
      - months_abroad: {ge: 24}
      - reintegration_needs: {intersects: [housing, economic]}
    refer: {pathway: RETURN_REINTEGRATION, sla_hours: 168}
  - id: later
    description: a conditional fallback
    priority: 6
    applies_to: [arrival, return]
    fallback: true
    when: {demographics.sex: female}
    refer: {pathway: GBV_SUPPORT, sla_hours: 48}
"""


def _arrivals(rng: random.Random, count: int) -> list[Any]:
    events = []
    for _ in range(count):
        raw = copy.deepcopy(ARRIVAL)
        raw["protection"] = {
            "asylum_intent": rng.random() < 0.2,
            "fear_of_return": rng.random() < 0.2,
            "unaccompanied_child": False,
            "separated_child": False,
            "gbv_risk": rng.random() < 0.2,
            "disability": rng.random() < 0.3,
            "medical_need": rng.choice(["none", "chronic", "urgent"]),
        }
        raw["demographics"] = {
            "age_band": rng.choice(["12-17", "18-24", "25-59"]),
            "sex": rng.choice(["female", "male"]),
            "nationality": rng.choice(["XXA", "SYR", "TUN"]),
        }
        raw["legal_status"] = rng.choice(["stateless", "irregular_migrant", "asylum_seeker"])
        raw["livelihood"] = {
            "job_offer": rng.random() < 0.5,
            "skill_level": rng.choice(["low", "medium", "high"]),
        }
        raw["movement_reasons"] = rng.sample(["economic", "family", "conflict"], rng.randint(0, 2))
        events.append(arrival(**raw))
    return events


def _returns(rng: random.Random, count: int) -> list[Any]:
    events = []
    for _ in range(count):
        raw = copy.deepcopy(RETURN)
        raw["household_ref"] = rng.choice([None, "h_" + "c" * 32])
        raw["return_country"] = rng.choice(["NGA", "SYR", "AFG", "GIN"])
        raw["months_abroad"] = rng.randint(0, 60)
        raw["reintegration_needs"] = rng.sample(
            ["housing", "social", "economic"], rng.randint(0, 2)
        )
        raw["demographics"] = raw["demographics"] | {"sex": rng.choice(["female", "male"])}
        raw["protection"] = raw["protection"] | {"fear_of_return": rng.random() < 0.3}
        events.append(returned(**raw))
    return events


def _plain_outcome(ruleset: Ruleset, event_type: str, data: Any) -> list[tuple[str, str]]:
    """Pathways and rule ids the rules give by plain evaluation (before safeguards)."""
    mine = [
        r for r in ordered_rules(ruleset) if event_type in {EVENT_TYPES[k] for k in r.applies_to}
    ]
    chosen: dict[str, tuple[int, int, str]] = {}
    regular = [r for r in mine if not r.fallback and predicate(r.when, event_type)(data)]
    held = regular or [r for r in mine if r.fallback and predicate(r.when, event_type)(data)]
    for rule in held:
        for target in rule.refer:
            rank = {"immediate": 0, "high": 1, "normal": 2}[target.urgency]
            if (
                target.pathway not in chosen
                or (rank, target.sla_hours) < chosen[target.pathway][:2]
            ):
                chosen[target.pathway] = (rank, target.sla_hours, rule.id)
        if not rule.continue_:
            break
    return sorted((pathway, rule_id) for pathway, (_, _, rule_id) in chosen.items())


def test_lanes_direct_parts_codes_and_conditional_fallbacks_route_as_plain_evaluation() -> None:
    engine, rules = compiled(SHAPES, fallback=False), ruleset(SHAPES, fallback=False)
    rng = random.Random(11)
    seen: set[tuple[str, ...]] = set()
    for event_type, events in ((ARRIVAL_V1, _arrivals(rng, 400)), (RETURN_V1, _returns(rng, 400))):
        for data in events:
            assert engine.plans[event_type].match(data) == _expected(rules, event_type, data)
            proposed = engine.proposed(data, event_type)
            found = sorted((pathway, entry[3].rule_id) for pathway, entry in proposed.items())
            assert found == _plain_outcome(rules, event_type, data)
            seen.add(tuple(sorted(proposed)))
    assert ("GBV_SUPPORT",) in seen  # the conditional fallback was reached
    assert any("SKILLS_RECOGNITION" in pathways for pathways in seen)
    assert any("RETURN_REINTEGRATION" in pathways for pathways in seen)


NEVER_FOR_RETURNS = """\
  - id: stateless-arrival
    description: reads a field returns do not have, so it never holds for a return
    priority: 1
    applies_to: [arrival, return]
    when: {legal_status: stateless}
    refer: {pathway: STATELESSNESS_DETERMINATION, sla_hours: 336}
  - id: pressing
    description: an any across two fields of a return
    priority: 2
    applies_to: return
    when:
      any:
        - reintegration_needs: {contains: housing}
        - return_type: forced
    refer: {pathway: RETURN_REINTEGRATION, urgency: high, sla_hours: 72}
"""


def test_a_rule_that_never_holds_for_an_event_type_leaves_the_any_of_another_rule_intact() -> None:
    # The cleared bits of a never-holding rule once cleared every lane too, so each `any` of
    # the same event type read as held.
    engine = compiled(NEVER_FOR_RETURNS)
    calm = returned(return_type="assisted_voluntary", reintegration_needs=[])
    assert pathways(engine, calm) == ["INFORMATION_COUNSELLING"]
    entries, _ = engine.refer(returned(return_type="forced", reintegration_needs=[]), RETURN_V1)
    assert [(entry[3].rule_id, entry[3].matched) for entry in entries] == [
        ("pressing", ("return_type == forced",))
    ]


def test_remembered_outcomes_and_filled_tables_are_invisible() -> None:
    generated = generate_ruleset(150, random.Random(21))
    warm, events = compile_ruleset(generated), sample_events(600, random.Random(22))
    for event_type, data in events:
        warm.refer(data, event_type)

    def seen(engine: Any, event_type: str, data: Any) -> Any:
        entries, removed = engine.refer(data, event_type)
        return [entry[:4] for entry in entries], removed

    fresh = [compile_ruleset(generated) for _ in range(3)]
    for number, (event_type, data) in enumerate(events[:24]):
        # A fresh engine remembers nothing and has only the tables filled when compiled.
        engine = fresh[number % 3] if number < 3 else compile_ruleset(generated)
        assert seen(warm, event_type, data) == seen(engine, event_type, data)


def test_values_beyond_the_table_limit_are_computed_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(index, "TABLE_LIMIT", 3)
    engine, rules = compiled(SHAPES, fallback=False), ruleset(SHAPES, fallback=False)
    for data in _returns(random.Random(31), 300):
        assert engine.plans[RETURN_V1].match(data) == _expected(rules, RETURN_V1, data)


def _parsed(count: int, seed: int) -> list[Any]:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    now = start + timedelta(days=800)
    events = []
    for document in generate(PROFILES["mixed"], random.Random(seed), start=start, count=count):
        event = parse_structured(orjson.dumps(document), now=now)
        if event.type in (ARRIVAL_V1, RETURN_V1):
            events.append(event)
    return events


@pytest.mark.parametrize("which", ["default", "generated"])
def test_to_json_writes_the_bytes_of_the_validated_contract(which: str) -> None:
    engine = compile_ruleset(
        load_ruleset(DEFAULT.read_text()).ruleset
        if which == "default"
        else generate_ruleset(100, random.Random(41))
    )
    events = _parsed(2500, 43 if which == "default" else 44)
    assert len(events) > 2000
    stamps = [
        datetime(2026, 9, 1, 8, 30, tzinfo=UTC),
        datetime(2026, 9, 1, 8, 30, 0, 120, tzinfo=UTC),
        datetime(2026, 9, 1, 10, 30, 5, 999999, tzinfo=UTC).astimezone(),
    ]
    # The rules whose matched lines depend on which branches of an `any` held.
    with_any = {
        rule.rule_id
        for plan in engine.plans.values()
        for rule in (*plan.rules, *plan.fallbacks)
        if any(entry[4] is not None for entry in rule.entries)
    }
    explained = 0
    for number, event in enumerate(events):
        decision = engine.route(event, now=stamps[number % len(stamps)])
        assert decision.to_json() == decision.to_contract().model_dump_json().encode()
        explained += any(referral.rule_id in with_any for referral in decision.referrals)
    assert explained > 100  # referrals citing the branches of an `any` that held
