"""Property: for any valid event, the default ruleset keeps every safeguard by itself."""

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.codes import AGE_BANDS
from schemas.events.arrival import ARRIVAL_V1, ArrivalData
from schemas.events.returns import RETURN_V1, ReturnData
from services.domain.rules.compile import compile_ruleset
from services.domain.rules.fields import FIELDS
from services.domain.rules.load import load_ruleset
from services.domain.rules.safeguards import SAFEGUARDS

pytestmark = pytest.mark.unit

DEFAULT = Path(__file__).resolve().parents[3] / "routing_rules" / "default.yaml"
ENGINE = compile_ruleset(load_ruleset(DEFAULT.read_text()).ruleset)
NATIONALITIES = ["SYR", "AFG", "TUN", "NGA", "XXA", "XXX"]


def _values(event_type: str, path: str) -> tuple[str, ...]:
    return FIELDS[event_type][path].values


def _subset(event_type: str, path: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(_values(event_type, path)), unique=True)


def _demographics() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "age_band": st.sampled_from(AGE_BANDS),
            "sex": st.sampled_from(["female", "male", "other", "unknown"]),
            "nationality": st.sampled_from(NATIONALITIES),
        }
    )


def _one(event_type: str, path: str) -> st.SearchStrategy[str]:
    return st.sampled_from(_values(event_type, path))


ARRIVALS = st.builds(
    ArrivalData.model_validate,
    st.fixed_dictionaries(
        {
            "person_ref": st.just("p_" + "1" * 32),
            "household_ref": st.none() | st.just("h_" + "2" * 32),
            "location": st.fixed_dictionaries(
                {"country": st.just("ITA"), "site_type": _one(ARRIVAL_V1, "location.site_type")}
            ),
            "demographics": _demographics(),
            "legal_status": _one(ARRIVAL_V1, "legal_status"),
            "documents": _one(ARRIVAL_V1, "documents"),
            "journey": st.fixed_dictionaries(
                {
                    "origin_country": st.just("SYR"),
                    "mode": _one(ARRIVAL_V1, "journey.mode"),
                    "smuggler_involved": st.none() | st.booleans(),
                }
            ),
            "protection": st.fixed_dictionaries(
                {
                    "asylum_intent": st.booleans(),
                    "fear_of_return": st.booleans(),
                    "unaccompanied_child": st.booleans(),
                    "separated_child": st.booleans(),
                    "trafficking_indicators": _subset(
                        ARRIVAL_V1, "protection.trafficking_indicators"
                    ),
                    "gbv_risk": st.booleans(),
                    "disability": st.booleans(),
                    "pregnant": st.booleans(),
                    "medical_need": _one(ARRIVAL_V1, "protection.medical_need"),
                    "family_in_destination": _one(ARRIVAL_V1, "protection.family_in_destination"),
                }
            ),
            "livelihood": st.fixed_dictionaries(
                {
                    "education": _one(ARRIVAL_V1, "livelihood.education"),
                    "occupation_isco": st.none() | st.just("2211"),
                    "skill_level": _one(ARRIVAL_V1, "livelihood.skill_level"),
                    "job_offer": st.booleans(),
                    "documented_qualifications": st.booleans(),
                }
            ),
            "movement_reasons": _subset(ARRIVAL_V1, "movement_reasons"),
        }
    ),
)

RETURNS = st.builds(
    ReturnData.model_validate,
    st.fixed_dictionaries(
        {
            "person_ref": st.just("p_" + "1" * 32),
            "household_ref": st.none() | st.just("h_" + "2" * 32),
            "return_type": _one(RETURN_V1, "return_type"),
            "host_country": st.just("ITA"),
            "return_country": st.just("NGA"),
            "demographics": _demographics(),
            "months_abroad": st.integers(0, 600),
            "protection": st.fixed_dictionaries(
                {
                    "fear_of_return": st.booleans(),
                    "unaccompanied_child": st.booleans(),
                    "trafficking_victim": st.booleans(),
                    "disability": st.booleans(),
                    "medical_need": _one(RETURN_V1, "protection.medical_need"),
                }
            ),
            "reintegration_needs": _subset(RETURN_V1, "reintegration_needs"),
            "worked_abroad": st.booleans(),
            "skills_acquired_abroad": st.booleans(),
        }
    ),
)


def _check(data: ArrivalData | ReturnData, event_type: str) -> None:
    proposed = ENGINE.proposed(data, event_type)
    assert proposed, "every event yields at least one referral from the rules themselves"
    for safeguard in SAFEGUARDS:
        if safeguard.applies(data, event_type):
            found = proposed.get(safeguard.pathway)
            assert safeguard.kept_by(None if found is None else found[3]), safeguard.name
    entries, removed = ENGINE.refer(data, event_type)
    assert removed == () and not any(entry[3].safeguard for entry in entries)


@settings(max_examples=400, deadline=None)
@given(ARRIVALS)
def test_every_arrival_decision_of_the_default_ruleset_keeps_every_safeguard(
    data: ArrivalData,
) -> None:
    _check(data, ARRIVAL_V1)


@settings(max_examples=300, deadline=None)
@given(RETURNS)
def test_every_return_decision_of_the_default_ruleset_keeps_every_safeguard(
    data: ReturnData,
) -> None:
    _check(data, RETURN_V1)
