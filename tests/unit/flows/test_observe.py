"""The decision contract reaches the cube only through `observe_decision`."""

import json

import pytest

from schemas.decisions import DecisionV1
from services.domain.flows.cube import FlowCube
from services.domain.flows.keys import cells_of
from services.domain.flows.observe import observe_decision
from services.domain.flows.rollup import total

pytestmark = pytest.mark.unit


def decision(event_type: str = "org.mixflow.arrival.v1", **facts: object) -> DecisionV1:
    referral = {
        "framework": "GCR",
        "receiving_actor": "asylum_authority",
        "urgency": "high",
        "sla_hours": 72,
        "rule_id": "asylum",
        "matched": ["protection.asylum_intent"],
    }
    payload = {
        "decision_id": "d_" + "0" * 32,
        "event_id": "e-1",
        "event_source": "urn:mixflow:agency:ITA-MOI",
        "event_type": event_type,
        "event_time": "2025-03-04T09:30:00Z",
        "decided_at": "2025-03-04T09:30:01Z",
        "person_ref": "p_" + "a" * 32,
        "agency": "ITA-MOI",
        "ruleset": {"id": "default", "version": 1, "digest": "sha256:" + "b" * 64},
        "referrals": [
            {"pathway": "ASYLUM_PROCEDURE", **referral},
            {"pathway": "ASYLUM_PROCEDURE", **referral},
            {**referral, "pathway": "MEDICAL_CARE", "framework": "BOTH"},
        ],
        "facts": {
            "country": "ITA",
            "admin1": "IT-82",
            "site_type": "sea_arrival",
            "nationality": "SDN",
            "sex": "female",
            "age_band": "18-24",
            "movement_reasons": ["conflict", "persecution"],
            **facts,
        },
    }
    return DecisionV1.model_validate_json(json.dumps(payload))


def test_an_arrival_decision_becomes_one_arrival_and_one_referral_per_pathway() -> None:
    obs = observe_decision(decision())
    assert obs.kind == "arrival" and obs.nationality == "SDN"
    assert [m for m, _ in cells_of(obs)] == ["arrivals", "referrals", "referrals"]
    cube = FlowCube()
    cube.fold(obs)
    pathways = total(
        cube.cells, measure="referrals", granularity="day", filters={"pathway": "MEDICAL_CARE"}
    )
    assert pathways == 1


def test_a_return_decision_counts_as_a_return_in_the_country_of_return() -> None:
    obs = observe_decision(
        decision("org.mixflow.return.v1", country="SEN", return_type="forced", host_country="ITA")
    )
    assert (obs.kind, obs.country, obs.return_type, obs.host_country) == (
        "return",
        "SEN",
        "forced",
        "ITA",
    )
    assert cells_of(obs)[0][0] == "returns"
