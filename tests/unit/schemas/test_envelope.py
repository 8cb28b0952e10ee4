"""Parsing CloudEvents from JSON bytes and from Kafka binary mode."""

from datetime import timedelta

import pytest

from schemas.envelope import (
    ArrivalEvent,
    ReferralUpdateEvent,
    ReturnEvent,
    parse_binary,
    parse_kafka,
    parse_structured,
)
from schemas.errors import ContractError
from tests.unit.schemas import examples
from tests.unit.schemas.examples import (
    NOW,
    arrival,
    binary,
    raw,
    referral_update,
    return_,
    set_path,
)

pytestmark = pytest.mark.unit


def problems(event_bytes: bytes) -> list[tuple[str, str]]:
    with pytest.raises(ContractError) as caught:
        parse_structured(event_bytes, now=NOW)
    return [(p.path, p.kind) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("build", "model"),
    [(arrival, ArrivalEvent), (return_, ReturnEvent), (referral_update, ReferralUpdateEvent)],
)
def test_each_event_type_parses_to_its_own_class_in_both_modes(build, model) -> None:
    event = build()
    assert isinstance(parse_structured(raw(event), now=NOW), model)
    headers, value = binary(event)
    assert isinstance(parse_binary(headers, value, now=NOW), model)


def test_structured_and_binary_modes_give_the_same_event() -> None:
    event = arrival()
    assert parse_structured(raw(event), now=NOW) == parse_binary(*binary(event), now=NOW)


def test_a_subject_other_than_the_person_is_rejected() -> None:
    event = set_path(arrival(), "subject", "p_" + "f" * 32)
    assert problems(raw(event)) == [("subject", "inconsistent")]


def test_an_agency_that_does_not_match_the_source_is_rejected() -> None:
    assert problems(raw(set_path(arrival(), "agency", "ESP-MIR"))) == [("agency", "inconsistent")]


def test_an_event_from_more_than_five_minutes_in_the_future_is_rejected() -> None:
    future = (NOW + timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert problems(raw(set_path(arrival(), "time", future))) == [("time", "clock_skew")]


def test_a_future_event_in_binary_mode_names_its_time_header() -> None:
    headers, value = binary(arrival())
    headers["ce_time"] = (NOW + timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with pytest.raises(ContractError) as caught:
        parse_binary(headers, value, now=NOW)
    assert [(p.path, p.kind) for p in caught.value.problems] == [("ce_time", "clock_skew")]


def test_a_little_clock_skew_is_tolerated() -> None:
    soon = (NOW + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    parse_structured(raw(set_path(arrival(), "time", soon)), now=NOW)


@pytest.mark.parametrize("time", ["2026-11-29T10:15:00", "2026-11-29", "yesterday", 1764400000])
def test_a_time_without_offset_or_not_rfc3339_is_rejected(time: object) -> None:
    assert problems(raw(set_path(arrival(), "time", time))) == [("time", "invalid_value")]


def test_a_referral_update_has_no_subject() -> None:
    event = referral_update() | {"subject": examples.PERSON}
    assert problems(raw(event)) == [("subject", "unknown_field")]


def test_an_unknown_event_type_is_named_without_echoing_it() -> None:
    with pytest.raises(ContractError) as caught:
        parse_structured(raw(set_path(arrival(), "type", "org.example.secret-value")), now=NOW)
    assert caught.value.problems[0].path == "type"
    assert "secret-value" not in str(caught.value)


def test_unknown_fields_are_rejected_in_envelope_and_data() -> None:
    event = set_path(arrival(), "data.protection.notes", "x") | {"dataschema": "x"}
    assert sorted(problems(raw(event))) == [
        ("data.protection.notes", "unknown_field"),
        ("dataschema", "unknown_field"),
    ]


def test_a_missing_field_is_reported_with_its_full_path() -> None:
    event = arrival()
    del event["data"]["journey"]["mode"]
    assert problems(raw(event)) == [("data.journey.mode", "missing")]


def test_strings_are_not_booleans() -> None:
    event = set_path(arrival(), "data.protection.asylum_intent", "true")
    assert problems(raw(event)) == [("data.protection.asylum_intent", "invalid_value")]


@pytest.mark.parametrize("garbage", [b"", b"{", b"\xff\xfe\x00", b"[1, 2", b"nul", b'{"a":1}}'])
def test_malformed_json_is_a_contract_error_at_the_root(garbage: bytes) -> None:
    with pytest.raises(ContractError) as caught:
        parse_structured(garbage, now=NOW)
    (problem,) = caught.value.problems
    assert (problem.path, problem.kind) == ("", "malformed_json")
    assert problem.reason.startswith("malformed JSON")


@pytest.mark.parametrize("document", [b"null", b"[]", b"42", b'"text"', b"{}"])
def test_json_that_is_not_an_event_object_is_a_contract_error(document: bytes) -> None:
    with pytest.raises(ContractError):
        parse_structured(document, now=NOW)


def test_binary_mode_ignores_non_cloudevents_headers() -> None:
    headers, value = binary(arrival())
    headers["traceparent"] = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    parse_binary(headers, value, now=NOW)


def test_binary_mode_accepts_a_content_type_with_charset() -> None:
    headers, value = binary(arrival())
    headers["content-type"] = b"application/json; charset=utf-8"
    parse_binary(headers, value, now=NOW)


def test_binary_mode_names_the_header_at_fault() -> None:
    headers, value = binary(arrival())
    headers["ce_time"] = b"not a time"
    headers["ce_agency"] = b"ESP-MIR"
    with pytest.raises(ContractError) as caught:
        parse_binary(headers, value, now=NOW)
    assert sorted(p.path for p in caught.value.problems) == ["ce_agency", "ce_time"]


def test_binary_mode_rejects_an_unknown_ce_header_and_non_utf8_headers() -> None:
    headers, value = binary(arrival())
    headers["ce_origin"] = b"x"
    headers["ce_id"] = b"\xff\xfe"
    with pytest.raises(ContractError) as caught:
        parse_binary(headers, value, now=NOW)
    paths = {p.path for p in caught.value.problems}
    assert {"ce_origin", "ce_id"} <= paths


def test_binary_mode_reports_data_problems_under_data() -> None:
    event = set_path(arrival(), "data.demographics.sex", "M")
    with pytest.raises(ContractError) as caught:
        parse_binary(*binary(event), now=NOW)
    assert [p.path for p in caught.value.problems] == ["data.demographics.sex"]


def test_binary_mode_cannot_override_headers_from_the_value() -> None:
    headers, _ = binary(arrival())
    injected = raw(arrival()["data"])[:-1] + b'}, "agency": "ESP-MIR", "x": {"a": 1}'
    with pytest.raises(ContractError) as caught:
        parse_binary(headers, injected, now=NOW)
    assert caught.value.problems[0].kind == "malformed_json"


def test_binary_mode_with_a_malformed_value_says_so() -> None:
    headers, _ = binary(arrival())
    with pytest.raises(ContractError) as caught:
        parse_binary(headers, b"{not json", now=NOW)
    assert [(p.path, p.kind) for p in caught.value.problems] == [("data", "malformed_json")]


def test_a_kafka_record_is_read_in_the_mode_its_headers_say() -> None:
    event = arrival()
    headers, value = binary(event)
    structured = parse_kafka([("traceparent", b"00-ab-cd-01")], raw(event), now=NOW)
    assert structured == parse_kafka(list(headers.items()), value, now=NOW)
    # Binary mode is recognised by either header the binding always sets.
    for name in ("ce_type", "ce_specversion"):
        with pytest.raises(ContractError) as caught:
            parse_kafka([(name, headers[name])], value, now=NOW)
        # Problems are named by header: the record was read as binary mode.
        paths = {p.path for p in caught.value.problems}
        assert paths and all(path.startswith("ce_") for path in paths), paths
    with pytest.raises(ContractError):
        parse_kafka([], None, now=NOW)
