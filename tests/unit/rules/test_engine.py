"""The engine: mixed flows, merging, ordering, stopping, fallbacks and run-time safeguards."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from schemas.decisions import DecisionV1, decision_id_for
from schemas.envelope import parse_structured
from schemas.events.arrival import ARRIVAL_V1
from services.domain.rules.compile import compile_ruleset, digest_of
from services.domain.rules.engine import CompiledRuleset
from services.domain.rules.load import load_ruleset
from tests.unit.rules.builders import ARRIVAL, NOW, arrival, compiled, pathways, returned, ruleset

pytestmark = pytest.mark.unit

DEFAULT = Path(__file__).resolve().parents[3] / "routing_rules" / "default.yaml"


@pytest.fixture(scope="module")
def default() -> CompiledRuleset:
    loaded = load_ruleset(DEFAULT.read_text(), str(DEFAULT))
    return compile_ruleset(loaded.ruleset, loaded.source)


def envelope(data: dict[str, object], event_id: str = "evt-1") -> bytes:
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": "urn:mixflow:agency:ITA-MOI",
            "type": ARRIVAL_V1,
            "time": "2026-03-01T11:59:00Z",
            "subject": data["person_ref"],
            "datacontenttype": "application/json",
            "agency": "ITA-MOI",
            "data": data,
        }
    )


@dataclass(frozen=True)
class Event:
    """The attributes the engine reads from a parsed CloudEvent."""

    data: Any
    id: str = "evt-1"
    source: str = "urn:mixflow:agency:TEST"
    type: str = ARRIVAL_V1
    time: datetime = NOW
    agency: str = "TEST"


def test_an_unaccompanied_child_seeking_asylum_is_referred_to_child_protection_and_asylum(
    default: CompiledRuleset,
) -> None:
    child = arrival(
        household_ref=None,
        demographics={"age_band": "12-17"},
        protection={"asylum_intent": True, "unaccompanied_child": True},
    )
    decision = default.route(Event(child), now=NOW)
    assert decision.pathways == ("CHILD_PROTECTION", "ASYLUM_PROCEDURE")
    child_referral, asylum = decision.referrals
    assert (child_referral.urgency, child_referral.rule_id, child_referral.safeguard) == (
        "immediate",
        "child-alone",
        False,
    )
    assert child_referral.matched == (
        "demographics.age_band <= 12-17",
        "protection.unaccompanied_child == true",
    )
    assert asylum.matched == ("protection.asylum_intent == true",)


def test_an_adult_migrant_without_signals_gets_counselling_from_the_fallback(
    default: CompiledRuleset,
) -> None:
    assert pathways(default, arrival()) == ["INFORMATION_COUNSELLING"]


def test_every_return_is_referred_to_reintegration_and_pressing_needs_raise_its_urgency(
    default: CompiledRuleset,
) -> None:
    plain = default.refer(returned(), "org.mixflow.return.v1")[0]
    assert [(e[1], e[3].urgency) for e in plain] == [("RETURN_REINTEGRATION", "normal")]
    pressing = default.refer(
        returned(reintegration_needs=["housing"], worked_abroad=True), "org.mixflow.return.v1"
    )[0]
    assert [(e[1], e[3].urgency) for e in pressing] == [
        ("RETURN_REINTEGRATION", "high"),
        ("BENEFITS_PORTABILITY", "normal"),
    ]


def test_one_referral_per_pathway_is_kept_the_most_urgent_ordered_by_urgency_then_pathway() -> None:
    engine = compiled("""
  - id: slow
    description: slow
    priority: 1
    applies_to: arrival
    refer:
      - {pathway: MEDICAL_CARE, urgency: normal, sla_hours: 168}
      - {pathway: SKILLS_RECOGNITION, urgency: normal, sla_hours: 720}
  - id: fast
    description: fast
    priority: 2
    applies_to: arrival
    when: {protection.pregnant: true}
    refer: {pathway: MEDICAL_CARE, urgency: high, sla_hours: 24}
  - id: gbv
    description: gbv
    priority: 3
    applies_to: arrival
    refer: {pathway: GBV_SUPPORT, urgency: high, sla_hours: 48}
""")
    entries = engine.refer(arrival(protection={"pregnant": True}), ARRIVAL_V1)[0]
    assert [(e[1], e[3].rule_id) for e in entries] == [
        ("GBV_SUPPORT", "gbv"),
        ("MEDICAL_CARE", "fast"),
        ("SKILLS_RECOGNITION", "slow"),
    ]


def test_continue_false_stops_evaluation_and_fallbacks_run_only_when_nothing_matched() -> None:
    engine = compiled("""
  - id: stop-here
    description: stop
    priority: 1
    applies_to: arrival
    when: {journey.smuggler_involved: true}
    refer: {pathway: SMUGGLING_RESPONSE, sla_hours: 72}
    continue: false
  - id: later
    description: later
    priority: 2
    applies_to: arrival
    when: {journey.mode: sea}
    refer: {pathway: GBV_SUPPORT, sla_hours: 48}
""")
    assert pathways(engine, arrival(journey={"smuggler_involved": True})) == ["SMUGGLING_RESPONSE"]
    assert pathways(engine, arrival()) == ["GBV_SUPPORT"]
    assert pathways(engine, arrival(journey={"mode": "air"})) == ["INFORMATION_COUNSELLING"]


DEFICIENT = """
  - id: papers
    description: consular contact for everyone without documents
    priority: 1
    applies_to: arrival
    when: {documents: none}
    refer: {pathway: CONSULAR_DOCUMENTATION, sla_hours: 336}
  - id: medical
    description: medical care, not urgent enough
    priority: 2
    applies_to: arrival
    when: {protection.medical_need: urgent}
    refer: {pathway: MEDICAL_CARE, urgency: normal, sla_hours: 168}
"""


def test_the_engine_adds_referrals_a_deficient_ruleset_missed_and_flags_them() -> None:
    engine = compiled(DEFICIENT, fallback=False)
    data = arrival(
        demographics={"age_band": "5-11"},
        protection={
            "fear_of_return": True,
            "separated_child": True,
            "trafficking_indicators": ["deception"],
            "medical_need": "urgent",
        },
    )
    decision = engine.route(Event(data), now=NOW)
    added = {r.pathway: (r.urgency, r.rule_id, r.safeguard) for r in decision.referrals}
    assert added == {
        "CHILD_PROTECTION": ("immediate", "safeguard:child_protection", True),
        "ANTI_TRAFFICKING": ("immediate", "safeguard:anti_trafficking", True),
        "MEDICAL_CARE": ("immediate", "safeguard:urgent_medical_care", True),
        "ASYLUM_PROCEDURE": ("high", "safeguard:asylum_access", True),
    }


def test_the_engine_removes_consular_referrals_for_protected_people_and_records_why() -> None:
    engine = compiled(DEFICIENT, fallback=False)
    refugee = arrival(documents="none", legal_status="recognised_refugee")
    decision = engine.route(Event(refugee), now=NOW)
    assert decision.pathways == ("INFORMATION_COUNSELLING",)
    (removed,) = decision.removed
    assert (removed.pathway, removed.rule_id, removed.safeguard) == (
        "CONSULAR_DOCUMENTATION",
        "papers",
        "no_consular_contact",
    )
    assert decision.referrals[0].rule_id == "safeguard:at_least_one_referral"
    assert pathways(engine, arrival(documents="none")) == ["CONSULAR_DOCUMENTATION"]


def test_a_parsed_cloudevent_routes_to_a_valid_deterministic_decision_contract(
    default: CompiledRuleset,
) -> None:
    data = ARRIVAL | {
        "protection": ARRIVAL["protection"] | {"gbv_risk": True, "medical_need": "chronic"}
    }
    event = parse_structured(envelope(data), now=NOW)
    contract = default.route(event, now=NOW).to_contract()  # type: ignore[arg-type]
    again = default.route(parse_structured(envelope(data), now=NOW), now=NOW).to_contract()  # type: ignore[arg-type]
    assert contract == again
    assert contract.decision_id == decision_id_for("urn:mixflow:agency:ITA-MOI", "evt-1")
    assert DecisionV1.model_validate_json(contract.model_dump_json()) == contract
    assert contract.ruleset.id == "default" and contract.ruleset.digest.startswith("sha256:")
    assert (contract.facts.country, contract.facts.site_type, contract.facts.age_band) == (
        "ITA",
        "sea_arrival",
        "25-59",
    )
    assert [r.pathway for r in contract.referrals] == ["GBV_SUPPORT", "MEDICAL_CARE"]


def test_an_any_condition_cites_only_the_branches_that_held(default: CompiledRuleset) -> None:
    decision = default.route(
        Event(arrival(protection={"disability": True, "medical_need": "chronic"})), now=NOW
    )
    (medical,) = decision.referrals
    assert medical.matched == (
        "protection.medical_need == chronic",
        "protection.disability == true",
    )


def test_the_digest_depends_on_the_rules_and_not_on_yaml_spelling() -> None:
    long_form = ruleset("""
  - id: a
    description: a
    priority: 1
    applies_to: [arrival]
    when: {field: legal_status, in: [stateless]}
    refer: [{pathway: STATELESSNESS_DETERMINATION, sla_hours: 72}]
""")
    short_form = ruleset("""
  - id: a
    description: a
    priority: 1
    applies_to: arrival
    when: {legal_status: [stateless]}
    refer: {pathway: STATELESSNESS_DETERMINATION, sla_hours: 72}
""")
    assert digest_of(long_form) == digest_of(short_form)
    assert digest_of(long_form) != digest_of(long_form.model_copy(update={"version": 4}))
