"""Events and rulesets for the rules tests, built from small overrides of sensible defaults."""

import copy
from datetime import UTC, datetime
from typing import Any

from schemas.events.arrival import ARRIVAL_V1, ArrivalData
from schemas.events.returns import RETURN_V1, ReturnData
from schemas.rules import Ruleset
from services.domain.rules.compile import compile_ruleset
from services.domain.rules.engine import CompiledRuleset
from services.domain.rules.load import load_ruleset

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PERSON = "p_" + "a" * 32

ARRIVAL: dict[str, Any] = {
    "person_ref": PERSON,
    "household_ref": "h_" + "b" * 32,
    "location": {"country": "ITA", "site_type": "sea_arrival"},
    "demographics": {"age_band": "25-59", "sex": "male", "nationality": "TUN"},
    "legal_status": "irregular_migrant",
    "documents": "valid",
    "journey": {"origin_country": "TUN", "mode": "sea"},
    "protection": {
        "asylum_intent": False,
        "fear_of_return": False,
        "unaccompanied_child": False,
        "separated_child": False,
    },
    "livelihood": {},
    "movement_reasons": [],
}

RETURN: dict[str, Any] = {
    "person_ref": PERSON,
    "return_type": "assisted_voluntary",
    "host_country": "ITA",
    "return_country": "NGA",
    "demographics": {"age_band": "25-59", "sex": "female", "nationality": "NGA"},
    "months_abroad": 30,
    "protection": {
        "fear_of_return": False,
        "unaccompanied_child": False,
        "trafficking_victim": False,
    },
}


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def arrival(**changes: Any) -> ArrivalData:
    """A valid arrival; nested keys are merged (`protection={"gbv_risk": True}`)."""
    return ArrivalData.model_validate(_merge(ARRIVAL, changes))


def returned(**changes: Any) -> ReturnData:
    return ReturnData.model_validate(_merge(RETURN, changes))


HEADER = """id: test
version: 3
metadata: {owner: tests, description: rules under test, effective_from: 2026-01-01}
rules:
"""

FALLBACK = """
  - id: everyone-else
    description: fallback
    priority: 999
    applies_to: [arrival, return]
    fallback: true
    refer: {pathway: INFORMATION_COUNSELLING, sla_hours: 168}
"""


def ruleset_text(rules: str, *, fallback: bool = True) -> str:
    """A ruleset document around `rules` (YAML list items indented by two spaces)."""
    return HEADER + rules + (FALLBACK if fallback else "")


def ruleset(rules: str, *, fallback: bool = True) -> Ruleset:
    return load_ruleset(ruleset_text(rules, fallback=fallback), "test.yaml").ruleset


def compiled(rules: str, *, fallback: bool = True) -> CompiledRuleset:
    loaded = load_ruleset(ruleset_text(rules, fallback=fallback), "test.yaml")
    return compile_ruleset(loaded.ruleset, loaded.source)


def pathways(engine: CompiledRuleset, data: ArrivalData | ReturnData) -> list[str]:
    event_type = ARRIVAL_V1 if isinstance(data, ArrivalData) else RETURN_V1
    return [entry[1] for entry in engine.refer(data, event_type)[0]]
