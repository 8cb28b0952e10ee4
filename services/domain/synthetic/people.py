"""Drawing the people of one group met on a route, and the arrival facts an agency records.

Facts are drawn jointly, not field by field: reasons come from nationality, asylum intent from
the reasons, legal status from intent, schooling and occupation from nationality and age,
pregnancy and GBV risk only for women and girls, unaccompanied children alone and mostly boys
aged 12-17. The result is the `data` of an `org.mixflow.arrival.v1` event as a plain dict.
"""

from dataclasses import dataclass
from random import Random
from typing import Any

from schemas.codes import AgeBand, Education, MedicalNeed, MovementReason, Sex
from services.domain.synthetic.draws import Weighted, chance, token
from services.domain.synthetic.nationalities import ASYLUM_PROPENSITY, TRAITS, Traits
from services.domain.synthetic.profiles import Route

ADULT_AGE: Weighted[AgeBand] = Weighted({"18-24": 0.35, "25-59": 0.63, "60+": 0.02})
CHILD_AGE: Weighted[AgeBand] = Weighted({"0-4": 0.3, "5-11": 0.4, "12-17": 0.3})
UNACCOMPANIED_AGE: Weighted[AgeBand] = Weighted({"12-17": 0.88, "5-11": 0.12})
CHILD_SCHOOLING: dict[AgeBand, Weighted[Education]] = {
    "0-4": Weighted({"none": 1.0}),
    "5-11": Weighted({"primary": 0.7, "none": 0.3}),
    "12-17": Weighted({"primary": 0.5, "secondary": 0.3, "none": 0.2}),
}
# ISCO-08 unit groups by schooling: a doctor or teacher with tertiary education, a builder or
# driver with secondary, a farm or construction labourer with primary or none.
OCCUPATIONS: dict[Education, tuple[str, ...]] = {
    "tertiary": ("2211", "2341", "2512", "2142", "3221", "2411"),
    "secondary": ("7112", "7411", "7231", "8322", "5120", "7522", "5223", "7212"),
    "primary": ("9211", "9313", "6111", "9112", "9621", "6121"),
    "none": ("9211", "9313", "6121", "9112"),
    "unknown": ("9313",),
}
# ISCO-08 major groups 1-3 need high skills, 9 elementary ones, the rest medium.
SKILL: dict[str, str] = {"1": "high", "2": "high", "3": "high", "9": "low"} | dict.fromkeys(
    "45678", "medium"
)
MEDICAL: dict[str, Weighted[MedicalNeed]] = {
    "sea": Weighted({"none": 0.88, "chronic": 0.07, "urgent": 0.05}),
    "land": Weighted({"none": 0.9, "chronic": 0.08, "urgent": 0.02}),
    "air": Weighted({"none": 0.92, "chronic": 0.07, "urgent": 0.01}),
}


@dataclass(frozen=True, slots=True)
class Person:
    """One person met: the arrival `data`, and what a later return needs from it."""

    person_ref: str
    household_ref: str | None
    nationality: str
    data: dict[str, Any]
    protection_need: bool
    trafficked: bool


def draw_group(route: Route, rng: Random) -> list[Person]:
    """A household (adults and children sharing `household_ref`), a child alone, or an adult."""
    if chance(rng, route.household_share):
        nationality = route.nationalities.pick(rng)
        household = token(rng, "h_")
        adults = 1 + chance(rng, 0.55)
        children = 1 + int(rng.random() * 2.2)
        return [
            _person(route, rng, nationality, household, child=i >= adults, alone=False)
            for i in range(adults + children)
        ]
    nationality = route.nationalities.pick(rng)
    alone_child = chance(rng, route.unaccompanied_share)
    return [_person(route, rng, nationality, None, child=alone_child, alone=alone_child)]


def _person(
    route: Route, rng: Random, nationality: str, household: str | None, *, child: bool, alone: bool
) -> Person:
    traits = TRAITS[nationality]
    age = (UNACCOMPANIED_AGE if alone else CHILD_AGE if child else ADULT_AGE).pick(rng)
    female_share = 0.1 if alone else 0.5 if household else traits.female_share
    sex: Sex = "female" if chance(rng, female_share) else "male"
    reasons = _reasons(traits, rng)
    asylum = chance(rng, max(ASYLUM_PROPENSITY[r] for r in reasons))
    indicators = _indicators(traits, rng, sex, alone)
    person_ref = token(rng, "p_")
    data: dict[str, Any] = {
        "person_ref": person_ref,
        "household_ref": household,
        "location": {
            "country": route.country,
            "admin1": route.admin1.pick(rng),
            "site_type": route.sites.pick(rng),
        },
        "demographics": {"age_band": age, "sex": sex, "nationality": nationality},
        "legal_status": _legal_status(route, rng, nationality, asylum),
        "documents": traits.documents.pick(rng),
        "journey": _journey(route, rng, nationality),
        "protection": _protection(
            route, traits, rng, age, sex, asylum, indicators, child, alone, household
        ),
        "livelihood": _livelihood(traits, rng, age, child),
        "movement_reasons": reasons,
    }
    _arrived_regularly(data, rng)
    need = asylum or bool(data["protection"]["fear_of_return"])
    return Person(person_ref, household, nationality, data, need, bool(indicators))


def _arrived_regularly(data: dict[str, Any], rng: Random) -> None:
    """Resettled refugees and labour migrants fly in with papers; many migrants have a job."""
    status = data["legal_status"]
    if status == "recognised_refugee":
        data["protection"]["asylum_intent"] = False
        data["documents"] = "valid"
    elif status == "regular_migrant":
        data["documents"] = "valid"
        data["livelihood"]["job_offer"] = chance(rng, 0.6)


def _reasons(traits: Traits, rng: Random) -> list[MovementReason]:
    first = traits.reasons.pick(rng)
    second = traits.reasons.pick(rng) if chance(rng, 0.35) else first
    return [first] if second == first else [first, second]


def _indicators(traits: Traits, rng: Random, sex: Sex, alone: bool) -> list[str]:
    risk = traits.trafficking * (1.5 if alone else 1.0) * (1.6 if sex == "female" else 0.8)
    if not chance(rng, risk):
        return []
    count = 1 + int(rng.random() * min(3, len(traits.indicators)))
    return sorted(rng.sample(traits.indicators, count))


def _legal_status(route: Route, rng: Random, nationality: str, asylum: bool) -> str:
    if route.status is not None:
        return route.status.pick(rng)
    if nationality == "XXA":
        return "stateless"
    if asylum:
        return "asylum_seeker" if chance(rng, 0.45) else "irregular_migrant"
    return "irregular_migrant" if chance(rng, 0.85) else "unknown" if chance(rng, 0.7) else "none"


def _journey(route: Route, rng: Random, nationality: str) -> dict[str, Any]:
    departure = route.departure.pick(rng)
    origin = (
        nationality if nationality in TRAITS and nationality not in ("XXA", "XXX") else departure
    )
    transit = [c for c in route.transit.pick(rng) if c not in (origin, departure, route.country)]
    smuggler = None if chance(rng, 0.08) else chance(rng, route.smuggler)
    return {
        "origin_country": origin,
        "departure_country": None if departure == origin else departure,
        "transit_countries": transit,
        "mode": route.mode,
        "smuggler_involved": smuggler,
    }


def _protection(
    route: Route,
    traits: Traits,
    rng: Random,
    age: AgeBand,
    sex: Sex,
    asylum: bool,
    indicators: list[str],
    child: bool,
    alone: bool,
    household: str | None,
) -> dict[str, Any]:
    female_adult = sex == "female" and age in ("18-24", "25-59")
    gbv = chance(
        rng, 0.5 if "sexual_exploitation" in indicators else 0.15 if sex == "female" else 0.01
    )
    family = (
        "nuclear"
        if chance(rng, traits.family_abroad)
        else "extended"
        if chance(rng, 0.2)
        else "none"
    )
    return {
        "asylum_intent": asylum,
        "fear_of_return": chance(rng, 0.7 if asylum else 0.05),
        "unaccompanied_child": alone,
        "separated_child": child and household is not None and chance(rng, 0.05),
        "trafficking_indicators": indicators,
        "gbv_risk": gbv,
        "disability": chance(rng, 0.2 if age == "60+" else 0.03),
        "pregnant": female_adult and chance(rng, 0.06),
        "medical_need": MEDICAL[route.mode].pick(rng),
        "family_in_destination": "nuclear" if alone and chance(rng, 0.1) else family,
    }


def _livelihood(traits: Traits, rng: Random, age: AgeBand, child: bool) -> dict[str, Any]:
    if child:
        education = CHILD_SCHOOLING[age].pick(rng)
        return {"education": education, "occupation_isco": None, "skill_level": "unknown",
                "job_offer": False, "documented_qualifications": False}  # fmt: skip
    education = traits.schooling.pick(rng)
    occupation = rng.choice(OCCUPATIONS[education]) if chance(rng, 0.65) else None
    skill = "unknown" if occupation is None else SKILL[occupation[0]]
    documented = {"tertiary": 0.45, "secondary": 0.2}.get(education, 0.03)
    return {
        "education": education,
        "occupation_isco": occupation,
        "skill_level": skill,
        "job_offer": chance(rng, 0.02),
        "documented_qualifications": chance(rng, documented),
    }
