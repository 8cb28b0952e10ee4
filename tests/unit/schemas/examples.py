"""Valid example events of each type, as dicts, for tests to mutate."""

import copy
from datetime import UTC, datetime
from typing import Any

import orjson

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PERSON = "p_0123456789abcdef0123456789abcdef"
HOUSEHOLD = "h_fedcba9876543210fedcba9876543210"
REFERRAL = "r_00112233445566778899aabbccddeeff"

_ENVELOPE: dict[str, Any] = {
    "specversion": "1.0",
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "source": "urn:mixflow:agency:ITA-MOI",
    "time": "2026-11-29T10:15:00Z",
    "datacontenttype": "application/json",
    "agency": "ITA-MOI",
}
_ARRIVAL: dict[str, Any] = {
    "person_ref": PERSON,
    "household_ref": HOUSEHOLD,
    "location": {"country": "ITA", "admin1": "IT-82", "site_type": "sea_arrival"},
    "demographics": {"age_band": "25-59", "sex": "female", "nationality": "SDN"},
    "legal_status": "irregular_migrant",
    "documents": "none",
    "journey": {
        "origin_country": "SDN",
        "departure_country": "LBY",
        "transit_countries": ["TCD", "LBY"],
        "mode": "sea",
        "smuggler_involved": True,
    },
    "protection": {
        "asylum_intent": True,
        "fear_of_return": True,
        "unaccompanied_child": False,
        "separated_child": False,
        "trafficking_indicators": ["forced_labour"],
        "gbv_risk": False,
        "disability": False,
        "pregnant": False,
        "medical_need": "none",
        "family_in_destination": "none",
    },
    "livelihood": {
        "education": "secondary",
        "occupation_isco": "2341",
        "skill_level": "high",
        "job_offer": False,
        "documented_qualifications": False,
    },
    "movement_reasons": ["conflict", "persecution"],
}
_RETURN: dict[str, Any] = {
    "person_ref": PERSON,
    "return_type": "assisted_voluntary",
    "host_country": "NER",
    "return_country": "GIN",
    "demographics": {"age_band": "18-24", "sex": "male", "nationality": "GIN"},
    "months_abroad": 14,
    "protection": {
        "fear_of_return": False,
        "unaccompanied_child": False,
        "trafficking_victim": False,
    },
    "reintegration_needs": ["economic", "psychosocial"],
    "worked_abroad": True,
    "skills_acquired_abroad": False,
    "occupation_isco": "7112",
}
_UPDATE: dict[str, Any] = {"referral_id": REFERRAL, "status": "accepted", "by_agency": "UNHCR"}


def arrival() -> dict[str, Any]:
    return {
        **copy.deepcopy(_ENVELOPE),
        "type": "org.mixflow.arrival.v1",
        "subject": PERSON,
        "data": copy.deepcopy(_ARRIVAL),
    }


def return_() -> dict[str, Any]:
    event = {**copy.deepcopy(_ENVELOPE), "type": "org.mixflow.return.v1", "subject": PERSON}
    event |= {"source": "urn:mixflow:agency:IOM-GIN", "agency": "IOM-GIN"}
    return event | {"data": copy.deepcopy(_RETURN)}


def referral_update() -> dict[str, Any]:
    event = {**copy.deepcopy(_ENVELOPE), "type": "org.mixflow.referral-update.v1"}
    event |= {"source": "urn:mixflow:agency:UNHCR", "agency": "UNHCR"}
    return event | {"data": copy.deepcopy(_UPDATE)}


def raw(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def binary(event: dict[str, Any]) -> tuple[dict[str, bytes], bytes]:
    """The event in Kafka binary mode: `ce_*` headers and the data as the value."""
    headers = {
        ("content-type" if key == "datacontenttype" else f"ce_{key}"): str(value).encode()
        for key, value in event.items()
        if key != "data"
    }
    return headers, orjson.dumps(event["data"])


def set_path(event: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set a dotted path (`data.location.admin1`) in a copy of `event`."""
    changed = copy.deepcopy(event)
    *parents, leaf = path.split(".")
    target = changed
    for name in parents:
        target = target[name]
    target[leaf] = value
    return changed
