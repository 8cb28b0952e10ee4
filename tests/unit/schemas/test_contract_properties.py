"""Properties: every event built from the contract's own code lists passes; every mutation that
breaks the contract fails with a `ContractError` naming a path, and nothing else is raised."""

import copy
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import codes
from schemas.envelope import parse_binary, parse_structured
from schemas.errors import ContractError
from tests.unit.schemas.examples import NOW

pytestmark = pytest.mark.unit
EPOCH = datetime(2016, 1, 1, tzinfo=UTC)
PROPERTY = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def one_of(literal: Any) -> st.SearchStrategy[str]:
    return st.sampled_from(get_args(literal))


hexes = st.text("0123456789abcdef", min_size=32, max_size=32)
countries = st.sampled_from(codes.ISO_ALPHA3)
nationalities = st.sampled_from((*codes.ISO_ALPHA3, "XXA", "XXX"))
agencies = st.sampled_from(["ITA-MOI", "UNHCR", "IOM-NER", "GRC-MOM", "ESP-MIR", "NGO7"])
demographics = st.fixed_dictionaries(
    {"age_band": one_of(codes.AgeBand), "sex": one_of(codes.Sex), "nationality": nationalities}
)
optional_admin1 = st.none() | st.sampled_from(["IT-82", "GR-K", "ES-CN", "NE-1", "IT19"])
isco = st.none() | st.from_regex(r"\A[0-9]{1,4}\Z")


def unique_list(literal: Any) -> st.SearchStrategy[list[str]]:
    return st.lists(one_of(literal), unique=True)


arrival_data = st.fixed_dictionaries(
    {
        "person_ref": hexes.map("p_".__add__),
        "household_ref": st.none() | hexes.map("h_".__add__),
        "location": st.fixed_dictionaries(
            {"country": countries, "admin1": optional_admin1, "site_type": one_of(codes.SiteType)}
        ),
        "demographics": demographics,
        "legal_status": one_of(codes.LegalStatus),
        "documents": one_of(codes.DocumentStatus),
        "journey": st.fixed_dictionaries(
            {
                "origin_country": countries,
                "departure_country": st.none() | countries,
                "transit_countries": st.lists(countries, max_size=5),
                "mode": one_of(codes.TravelMode),
                "smuggler_involved": st.none() | st.booleans(),
            }
        ),
        "protection": st.fixed_dictionaries(
            {
                "asylum_intent": st.booleans(),
                "fear_of_return": st.booleans(),
                "unaccompanied_child": st.booleans(),
                "separated_child": st.booleans(),
                "trafficking_indicators": unique_list(codes.TraffickingIndicator),
                "gbv_risk": st.booleans(),
                "disability": st.booleans(),
                "pregnant": st.booleans(),
                "medical_need": one_of(codes.MedicalNeed),
                "family_in_destination": one_of(codes.FamilyInDestination),
            }
        ),
        "livelihood": st.fixed_dictionaries(
            {
                "education": one_of(codes.Education),
                "occupation_isco": isco,
                "skill_level": one_of(codes.SkillLevel),
                "job_offer": st.booleans(),
                "documented_qualifications": st.booleans(),
            }
        ),
        "movement_reasons": unique_list(codes.MovementReason),
    }
)
return_data = st.fixed_dictionaries(
    {
        "person_ref": hexes.map("p_".__add__),
        "return_type": one_of(codes.ReturnType),
        "host_country": countries,
        "return_country": countries,
        "return_admin1": optional_admin1,
        "demographics": demographics,
        "months_abroad": st.integers(0, 600),
        "protection": st.fixed_dictionaries(
            {
                "fear_of_return": st.booleans(),
                "unaccompanied_child": st.booleans(),
                "trafficking_victim": st.booleans(),
                "disability": st.booleans(),
                "medical_need": one_of(codes.MedicalNeed),
            }
        ),
        "reintegration_needs": unique_list(codes.ReintegrationNeed),
        "worked_abroad": st.booleans(),
        "skills_acquired_abroad": st.booleans(),
        "occupation_isco": isco,
    }
)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["arrival", "return"]))
    data = draw(arrival_data if kind == "arrival" else return_data)
    agency = draw(agencies)
    seconds = draw(st.integers(0, 10 * 365 * 86400))
    return {
        "specversion": "1.0",
        "id": draw(st.uuids()).hex,
        "source": f"urn:mixflow:agency:{agency}",
        "type": f"org.mixflow.{kind}.v1",
        "subject": data["person_ref"],
        "agency": agency,
        "data": data,
        "time": (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def rejection(document: bytes) -> ContractError:
    with pytest.raises(ContractError) as caught:
        parse_structured(document, now=NOW)
    assert caught.value.problems and all(p.reason for p in caught.value.problems)
    return caught.value


@PROPERTY
@given(events())
def test_no_valid_event_is_rejected_in_either_mode(event: dict[str, Any]) -> None:
    parse_structured(orjson.dumps(event), now=NOW)
    headers = {f"ce_{k}": str(v).encode() for k, v in event.items() if k != "data"}
    parse_binary(headers, orjson.dumps(event["data"]), now=NOW)


LEAKS = st.sampled_from(
    [
        "amal.f@example.org",
        "+39 333 1234567",
        "X1234567",
        "DE89370400440532013000",
        "1990-05-17",
        "Amal Fictional",
    ]
)
LEAF_FIELDS = st.sampled_from(
    [
        ("data", "person_ref"),
        ("data", "demographics", "nationality"),
        ("data", "demographics", "sex"),
        ("subject",),
        ("id",),
        ("source",),
    ]
)


def put(event: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    target = changed
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    return changed


@PROPERTY
@given(events(), LEAF_FIELDS, LEAKS)
def test_an_identifier_planted_anywhere_is_rejected_and_never_echoed(event, path, leak) -> None:
    if leak == "1990-05-17" and path[0] != "data":
        leak = "X1234567"  # dates count only inside data
    error = rejection(orjson.dumps(put(event, path, leak)))
    dotted = ".".join(path)
    assert any(p.path == dotted and p.kind == "direct_identifier" for p in error.problems)
    assert leak not in str(error)


@PROPERTY
@given(
    events(),
    st.sampled_from(["", "data", "data.protection", "data.demographics"]),
    st.text(min_size=1, max_size=12),
)
def test_an_unknown_field_is_rejected_with_its_path(event, where, name) -> None:
    name = "zz_" + name
    target = event
    for part in filter(None, where.split(".")):
        target = target[part]
    target[name] = True
    error = rejection(orjson.dumps(event))
    assert any(p.kind == "unknown_field" and p.path.endswith(name) for p in error.problems)


@PROPERTY
@given(
    events(),
    st.sampled_from(
        [
            ("data", "demographics", "sex"),
            ("data", "demographics", "age_band"),
            ("data", "demographics", "nationality"),
        ]
    ),
    st.text(min_size=1, max_size=10),
)
def test_a_value_outside_a_code_list_is_rejected_at_its_path(event, path, value) -> None:
    if value in (
        "female",
        "male",
        "other",
        "unknown",
        *codes.AGE_BANDS,
        *codes.ISO_ALPHA3,
        "XXA",
        "XXX",
    ):
        return
    error = rejection(orjson.dumps(put(event, path, value)))
    assert ".".join(path) in {p.path for p in error.problems}
    if len(value) >= 3:
        assert all(value not in p.reason for p in error.problems)


@PROPERTY
@given(events(), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3))
def test_a_country_code_that_is_not_iso_alpha3_is_rejected(event, code) -> None:
    if code in codes.ISO_ALPHA3:
        return
    path = (
        ("data", "location", "country")
        if event["type"].endswith("arrival.v1")
        else ("data", "host_country")
    )
    error = rejection(orjson.dumps(put(event, path, code)))
    assert ".".join(path) in {p.path for p in error.problems}


@PROPERTY
@given(events(), st.data())
def test_truncated_json_is_a_contract_error(event, data) -> None:
    document = orjson.dumps(event)
    cut = data.draw(st.integers(0, len(document) - 1))
    rejection(document[:cut])


@PROPERTY
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_a_contract_error(blob: bytes) -> None:
    with pytest.raises(ContractError):
        parse_structured(blob, now=NOW)
    with pytest.raises(ContractError):
        parse_binary({"ce_type": b"org.mixflow.arrival.v1", "ce_id": blob[:40]}, blob, now=NOW)


@PROPERTY
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "ce_specversion",
                "ce_id",
                "ce_source",
                "ce_type",
                "ce_time",
                "ce_subject",
                "ce_agency",
                "content-type",
                "ce_x",
            ]
        ),
        st.binary(max_size=40),
    ),
    st.binary(max_size=60),
)
def test_any_binary_mode_headers_give_an_event_or_a_contract_error(headers, value) -> None:
    try:
        parse_binary(headers, value, now=NOW)
    except ContractError as error:
        assert error.problems
