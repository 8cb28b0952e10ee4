"""The direct-identifier guard: say which field leaks what kind of identifier, never the value."""

import pytest

from schemas.envelope import ArrivalEvent, parse_binary, parse_structured
from schemas.errors import ContractError
from schemas.identifiers import REASONS, identify, open_paths
from tests.unit.schemas.examples import NOW, arrival, binary, raw, referral_update, set_path

pytestmark = pytest.mark.unit

IDENTIFIERS = {
    "email": ["ahmed.ali@example.org", "A_B+tag@mail.example.co.uk"],
    "phone": ["+39 333 1234567", "+393331234567", "0039-333-1234567", "(0039) 333 1234567"],
    "document": ["X1234567", "AB123456", "YA1234567", "P0000001"],
    "iban": ["DE89370400440532013000", "IT60 X054 2811 1010 0000 0123 456"],
    "date": ["1990-05-17", "17/05/1990", "17.05.1990", "1/5/1990"],
    "name": ["Ahmed Ali", "José María Pérez", "Mary-Jane O'Neil Smith"],
}
CASES = [(kind, value) for kind, values in IDENTIFIERS.items() for value in values]


def rejected(event: dict, path: str) -> ContractError:
    with pytest.raises(ContractError) as caught:
        parse_structured(raw(event), now=NOW)
    assert path in {p.path for p in caught.value.problems}
    return caught.value


@pytest.mark.parametrize(("kind", "value"), CASES)
def test_an_identifier_in_person_ref_is_named_by_kind_without_echoing_it(
    kind: str, value: str
) -> None:
    error = rejected(set_path(arrival(), "data.person_ref", value), "data.person_ref")
    problem = next(p for p in error.problems if p.path == "data.person_ref")
    assert (problem.reason, problem.kind) == (REASONS[kind], "direct_identifier")
    assert value not in str(error)
    assert all(value not in p.reason for p in error.problems)


def test_an_email_in_person_ref_is_rejected_without_echoing_it() -> None:
    error = rejected(set_path(arrival(), "data.person_ref", "amal@example.org"), "data.person_ref")
    assert (
        str(error.problems[0])
        == "data.person_ref: looks like an e-mail address (direct identifier)"
    )
    assert "amal" not in str(error)


@pytest.mark.parametrize(
    "path",
    [
        "data.demographics.nationality",
        "data.location.admin1",
        "data.journey.origin_country",
        "data.livelihood.occupation_isco",
        "data.household_ref",
    ],
)
def test_identifiers_are_caught_in_code_fields_too(path: str) -> None:
    error = rejected(set_path(arrival(), path, "AB123456"), path)
    assert any(p.kind == "direct_identifier" for p in error.problems)


def test_a_document_number_that_fits_the_admin1_pattern_is_still_refused() -> None:
    error = rejected(
        set_path(arrival(), "data.location.admin1", "AB123456"), "data.location.admin1"
    )
    assert error.problems[0].reason == REASONS["document"]


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("id", "X1234567", "document"),
        ("id", "+393331234567", "phone"),
        ("subject", "ahmed.ali@example.org", "email"),
        ("source", "urn:mixflow:agency:X1234567", "document"),
        ("source", "urn:mixflow:AB123456:ITA-MOI", "document"),
    ],
)
def test_envelope_attributes_are_guarded(field: str, value: str, kind: str) -> None:
    event = set_path(arrival(), field, value)
    if field == "source" and value.endswith("X1234567"):
        event["agency"] = "X1234567"
    error = rejected(event, field)
    assert REASONS[kind] in {p.reason for p in error.problems}


def test_an_unknown_extension_attribute_holding_an_identifier_says_what_it_holds() -> None:
    error = rejected(arrival() | {"phone": "+39 333 1234567"}, "phone")
    assert error.problems[0].reason == REASONS["phone"]


def test_the_guard_runs_in_binary_mode_on_headers() -> None:
    headers, value = binary(referral_update())
    headers["ce_id"] = b"AB123456"
    with pytest.raises(ContractError) as caught:
        parse_binary(headers, value, now=NOW)
    assert [(p.path, p.reason) for p in caught.value.problems] == [("ce_id", REASONS["document"])]


@pytest.mark.parametrize(
    "event_id",
    [
        "550e8400-e29b-41d4-a716-446655440000",
        "1700000000123",
        "ITA-MOI-2026-11-29-000123",
        "e_479ec0a945f0aab9955dbc2aeb822ac4",
        "batch.17:row.12",
    ],
)
def test_ordinary_event_ids_are_not_mistaken_for_identifiers(event_id: str) -> None:
    parse_structured(raw(set_path(arrival(), "id", event_id)), now=NOW)


def test_dates_are_identifiers_only_inside_data() -> None:
    assert identify("data.location.admin1", "1990-05-17") == REASONS["date"]
    assert identify("id", "1990-05-17") is None


@pytest.mark.parametrize(
    "code", ["IT-82", "IT19", "ITA", "GR-K", "UNHCR", "ITA-MOI", "7112", "p_" + "0" * 32]
)
def test_codes_are_not_identifiers(code: str) -> None:
    assert identify("data.location.admin1", code) is None


def test_only_open_shaped_fields_are_checked_on_valid_events() -> None:
    assert set(open_paths(ArrivalEvent)) == {
        ("id",),
        ("source",),
        ("agency",),
        ("data", "location", "admin1"),
    }
