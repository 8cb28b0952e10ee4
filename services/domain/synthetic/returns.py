"""The facts an agency records when a person returns: the `data` of `org.mixflow.return.v1`.

A return follows a person met earlier in the stream (same `person_ref`, demographics and
occupation, the trafficking they suffered) or, for direct returns, a person drawn on the spot.
Needs follow the person: a trafficking survivor needs psychosocial support, a person without
papers documentation, a child schooling.
"""

from random import Random
from typing import Any

from schemas.codes import ReturnType
from services.domain.synthetic.draws import chance, token
from services.domain.synthetic.people import ADULT_AGE, Person

HOST_AUTHORITY: dict[str, str] = {
    "ITA": "ITA-MOI",
    "GRC": "GRC-MOM",
    "ESP": "ESP-MIR",
    "DEU": "DEU-BPOL",
    "LBY": "LBY-DCIM",
    "NER": "NER-MOI",
    "SAU": "SAU-MOI",
    "TUR": "TUR-PMM",
    "MAR": "MAR-MOI",
}
"""Who reports a forced return: the host country's authority. IOM reports assisted returns."""


def reporting_agency(return_type: ReturnType, host: str, return_country: str) -> str:
    if return_type == "forced":
        return HOST_AUTHORITY.get(host, f"{host}-MOI")
    return f"IOM-{return_country}"


def return_after_arrival(
    person: Person, rng: Random, return_type: ReturnType, weeks: float
) -> dict[str, Any]:
    """The return of someone met on arrival `weeks` earlier, to their country of nationality."""
    arrival = person.data
    adult = arrival["demographics"]["age_band"] in ("18-24", "25-59", "60+")
    months_before = 1 + int(rng.random() * 24)  # time on the road before they were met
    return _return_data(
        rng,
        person_ref=person.person_ref,
        household_ref=person.household_ref,
        return_type=return_type,
        host=arrival["location"]["country"],
        return_country=person.nationality,
        demographics=arrival["demographics"],
        months_abroad=min(600, months_before + int(weeks / 4.35)),
        trafficked=person.trafficked,
        unaccompanied=arrival["protection"]["unaccompanied_child"],
        disability=arrival["protection"]["disability"],
        adult=adult,
        documents=arrival["documents"],
        occupation=arrival["livelihood"]["occupation_isco"],
    )


def direct_return(
    rng: Random, host: str, nationality: str, return_type: ReturnType, household: str | None
) -> dict[str, Any]:
    """A return of someone whose arrival is not in the stream (years abroad, often worked)."""
    sex = "male" if chance(rng, 0.8) else "female"
    return _return_data(
        rng,
        person_ref=token(rng, "p_"),
        household_ref=household,
        return_type=return_type,
        host=host,
        return_country=nationality,
        demographics={"age_band": ADULT_AGE.pick(rng), "sex": sex, "nationality": nationality},
        months_abroad=6 + int(rng.random() * 90),
        trafficked=chance(rng, 0.04),
        unaccompanied=False,
        disability=chance(rng, 0.03),
        adult=True,
        documents="valid" if return_type == "forced" else "partial",
        occupation=rng.choice(("9313", "7112", "8322", "5120", "9112"))
        if chance(rng, 0.7)
        else None,
    )


def _return_data(
    rng: Random,
    *,
    person_ref: str,
    household_ref: str | None,
    return_type: ReturnType,
    host: str,
    return_country: str,
    demographics: dict[str, Any],
    months_abroad: int,
    trafficked: bool,
    unaccompanied: bool,
    disability: bool,
    adult: bool,
    documents: str,
    occupation: str | None,
) -> dict[str, Any]:
    worked = adult and chance(rng, 0.6 if host in ("LBY", "SAU") else 0.35)
    return {
        "person_ref": person_ref,
        "household_ref": household_ref,
        "return_type": return_type,
        "host_country": host,
        "return_country": return_country,
        "demographics": demographics,
        "months_abroad": months_abroad,
        "protection": {
            "fear_of_return": chance(rng, 0.03),
            "unaccompanied_child": unaccompanied,
            "trafficking_victim": trafficked,
            "disability": disability,
            "medical_need": "chronic" if chance(rng, 0.06) else "none",
        },
        "reintegration_needs": _needs(rng, trafficked, adult, documents, return_type),
        "worked_abroad": worked,
        "skills_acquired_abroad": worked and chance(rng, 0.3),
        "occupation_isco": occupation if adult else None,
    }


def _needs(
    rng: Random, trafficked: bool, adult: bool, documents: str, kind: ReturnType
) -> list[str]:
    odds = {
        "economic": 0.8 if adult else 0.2,
        "social": 0.2,
        "psychosocial": 0.75 if trafficked else 0.25,
        "housing": 0.3,
        "documentation": 0.6 if documents == "none" else 0.15,
        "education": 0.05 if adult else 0.7,
        "legal": 0.3 if kind == "forced" else 0.05,
    }
    return [need for need, probability in odds.items() if chance(rng, probability)]
