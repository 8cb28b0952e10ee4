"""Realistic made-up rulesets and events for benchmarks and tests, from a seeded `random.Random`.

Generated rules look like an operator's: one to four tests over many fields of the contracts
(yes/no signals, closed lists, age-band ordering, list membership, thresholds), an occasional
`any` or `not`, most with `continue: true`. Events follow rough proportions of a mixed flow.
Deterministic for a given seed; the caller passes the generator, so nothing here is random by
itself.
"""

import random
from datetime import date
from typing import Any

from schemas.codes import AGE_BANDS
from schemas.events.arrival import ARRIVAL_V1, ArrivalData
from schemas.events.returns import RETURN_V1, ReturnData
from schemas.rules import Ruleset
from services.domain.pathways import PATHWAYS
from services.domain.rules.fields import FIELDS, FieldSpec

_COUNTRIES = ("AFG", "SYR", "ERI", "SDN", "NGA", "BGD", "MLI", "GIN", "TUN", "VEN", "UKR", "SOM")
_HOSTS = ("ITA", "GRC", "ESP", "MLT", "DEU", "FRA", "AUT", "CYP")
_ANCHORS = {
    "arrival": (
        "location.country",
        "location.site_type",
        "demographics.nationality",
        "legal_status",
        "protection.asylum_intent",
        "protection.gbv_risk",
        "journey.smuggler_involved",
        "protection.medical_need",
        "protection.family_in_destination",
        "livelihood.job_offer",
    ),
    "return": (
        "return_country",
        "host_country",
        "return_type",
        "protection.fear_of_return",
        "protection.trafficking_victim",
        "worked_abroad",
        "skills_acquired_abroad",
        "protection.medical_need",
    ),
}
"""What a real rule is about: usually a country (first), often a site (second), and always a
status or a signal (the rest)."""
_HEX = "0123456789abcdef"


def _token(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(_HEX) for _ in range(32))


def _test_for(rng: random.Random, spec: FieldSpec) -> dict[str, Any]:
    if spec.kind == "bool":
        return {spec.path: rng.random() < 0.9}
    if spec.kind == "int":
        return {spec.path: {rng.choice(["lt", "ge", "gt", "le"]): rng.choice([6, 12, 24, 60, 120])}}
    if spec.kind == "list":
        if rng.random() < 0.3:
            return {spec.path: {"exists": True}}
        return {spec.path: {"intersects": rng.sample(spec.values, rng.randint(1, 3))}}
    values = (
        spec.values if len(spec.values) <= 12 else _HOSTS if "country" in spec.path else _COUNTRIES
    )
    if spec.ordered and rng.random() < 0.6:
        return {spec.path: {rng.choice(["le", "ge"]): rng.choice(AGE_BANDS)}}
    if rng.random() < 0.6 or "country" in spec.path:
        return {spec.path: rng.choice(values[1:] if spec.path.endswith("medical_need") else values)}
    return {spec.path: {rng.choice(["in", "in", "not_in"]): rng.sample(values, 2)}}


def _condition(rng: random.Random, specs: list[FieldSpec], anchors: tuple[str, ...]) -> list[Any]:
    paths = {rng.choice(anchors[2:])}
    paths |= {anchors[0]} if rng.random() < 0.8 else set()
    paths |= {anchors[1]} if rng.random() < 0.5 else set()
    chosen = [spec for spec in specs if spec.path in paths]
    others = rng.sample([spec for spec in specs if spec.path not in paths], rng.randint(0, 2))
    tests: list[Any] = [_test_for(rng, spec) for spec in (*chosen, *others)]
    if len(tests) > 2 and rng.random() < 0.25:
        tests = [tests[0], {"any": tests[1:]}]
    if len(tests) > 1 and rng.random() < 0.1:
        tests[-1] = {"not": tests[-1]}
    return tests


def _rule(rng: random.Random, number: int) -> dict[str, Any]:
    kind = "arrival" if rng.random() < 0.75 else "return"
    event_type = ARRIVAL_V1 if kind == "arrival" else RETURN_V1
    specs = [spec for spec in FIELDS[event_type].values() if spec.kind != "str"]
    pathways = sorted(PATHWAYS)
    return {
        "id": f"rule-{number:04d}",
        "description": f"generated rule {number}",
        "priority": number,
        "applies_to": kind,
        "when": _condition(rng, specs, _ANCHORS[kind]),
        "refer": [
            {
                "pathway": rng.choice(pathways),
                "urgency": rng.choice(["immediate", "high", "normal", "normal"]),
                "sla_hours": rng.choice([4, 24, 72, 168, 336]),
            }
            for _ in range(rng.randint(1, 2))
        ],
        "continue": rng.random() < 0.95,
    }


def generate_ruleset(count: int, rng: random.Random) -> Ruleset:
    """A ruleset of `count` generated rules plus a fallback, as an operator might write them."""
    rules = [_rule(rng, number) for number in range(1, count)]
    rules.append(
        {
            "id": "fallback",
            "description": "everyone else",
            "priority": count,
            "applies_to": ["arrival", "return"],
            "fallback": True,
            "refer": {"pathway": "INFORMATION_COUNSELLING", "sla_hours": 168},
        }
    )
    return Ruleset.model_validate(
        {
            "id": f"generated-{count}",
            "version": 1,
            "rules": rules,
            "metadata": {
                "owner": "bench",
                "description": "generated",
                "effective_from": date(2026, 1, 1),
            },
        }
    )


def _maybe(rng: random.Random, share: float) -> bool:
    return rng.random() < share


def _arrival(rng: random.Random) -> ArrivalData:
    age = rng.choices(AGE_BANDS, weights=[5, 8, 12, 30, 40, 5])[0]
    child = age in ("0-4", "5-11", "12-17")
    return ArrivalData.model_validate(
        {
            "person_ref": _token(rng, "p_"),
            "household_ref": None if _maybe(rng, 0.4) else _token(rng, "h_"),
            "location": {
                "country": rng.choice(_HOSTS),
                "site_type": rng.choice(
                    [
                        "land_border",
                        "sea_arrival",
                        "airport",
                        "reception_centre",
                        "transit_point",
                        "urban",
                    ]
                ),
            },
            "demographics": {
                "age_band": age,
                "sex": rng.choice(["female", "male", "male", "unknown"]),
                "nationality": rng.choice([*_COUNTRIES, "XXA", "XXX"]),
            },
            "legal_status": rng.choice(
                [
                    "none",
                    "asylum_seeker",
                    "recognised_refugee",
                    "irregular_migrant",
                    "irregular_migrant",
                    "regular_migrant",
                    "unknown",
                    "stateless",
                ]
            ),
            "documents": rng.choice(["valid", "partial", "none"]),
            "journey": {
                "origin_country": rng.choice(_COUNTRIES),
                "mode": rng.choice(["sea", "land", "air"]),
                "transit_countries": rng.sample(["LBY", "TUR", "NER", "MAR"], rng.randint(0, 2)),
                "smuggler_involved": rng.choice([None, True, False]),
            },
            "protection": {
                "asylum_intent": _maybe(rng, 0.35),
                "fear_of_return": _maybe(rng, 0.25),
                "unaccompanied_child": child and _maybe(rng, 0.3),
                "separated_child": child and _maybe(rng, 0.1),
                "trafficking_indicators": rng.sample(
                    ["deception", "debt_bondage", "forced_labour"], 1
                )
                if _maybe(rng, 0.08)
                else [],
                "gbv_risk": _maybe(rng, 0.08),
                "disability": _maybe(rng, 0.05),
                "pregnant": _maybe(rng, 0.03),
                "medical_need": rng.choices(["none", "chronic", "urgent"], weights=[85, 10, 5])[0],
                "family_in_destination": rng.choices(
                    ["none", "nuclear", "extended"], weights=[70, 15, 15]
                )[0],
            },
            "livelihood": {
                "education": rng.choice(["none", "primary", "secondary", "tertiary", "unknown"]),
                "skill_level": rng.choice(["low", "medium", "high", "unknown"]),
                "occupation_isco": rng.choice([None, "7112", "2211", "9312"]),
                "job_offer": _maybe(rng, 0.1),
                "documented_qualifications": _maybe(rng, 0.3),
            },
            "movement_reasons": rng.sample(
                [
                    "conflict",
                    "persecution",
                    "economic",
                    "family",
                    "climate_disaster",
                    "environmental_degradation",
                    "generalised_violence",
                ],
                rng.randint(1, 2),
            ),
        }
    )


def _return(rng: random.Random) -> ReturnData:
    return ReturnData.model_validate(
        {
            "person_ref": _token(rng, "p_"),
            "return_type": rng.choice(["assisted_voluntary", "spontaneous_voluntary", "forced"]),
            "host_country": rng.choice(_HOSTS),
            "return_country": rng.choice(_COUNTRIES),
            "demographics": {
                "age_band": rng.choice(AGE_BANDS),
                "sex": rng.choice(["female", "male"]),
                "nationality": rng.choice(_COUNTRIES),
            },
            "months_abroad": rng.randint(0, 240),
            "protection": {
                "fear_of_return": _maybe(rng, 0.1),
                "unaccompanied_child": _maybe(rng, 0.03),
                "trafficking_victim": _maybe(rng, 0.05),
                "disability": _maybe(rng, 0.04),
                "medical_need": rng.choices(["none", "chronic", "urgent"], weights=[88, 9, 3])[0],
            },
            "reintegration_needs": rng.sample(
                ["economic", "social", "psychosocial", "housing", "documentation"],
                rng.randint(0, 3),
            ),
            "worked_abroad": _maybe(rng, 0.6),
            "skills_acquired_abroad": _maybe(rng, 0.3),
        }
    )


def sample_events(count: int, rng: random.Random) -> list[tuple[str, ArrivalData | ReturnData]]:
    """`count` (event type, data) pairs, about four arrivals to one return."""
    return [
        (ARRIVAL_V1, _arrival(rng)) if _maybe(rng, 0.8) else (RETURN_V1, _return(rng))
        for _ in range(count)
    ]
