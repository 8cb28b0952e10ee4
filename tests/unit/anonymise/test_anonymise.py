"""Agency-side anonymisation: keyed tokens, age bands, mappings, and the CLI on the example."""

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from schemas.envelope import parse_structured
from services.cli import app
from services.domain.anonymise import (
    Anonymiser,
    MappingError,
    Pseudonymiser,
    RowError,
    age_band,
    check_mapping,
)

pytestmark = pytest.mark.unit
EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
MAPPING = EXAMPLES / "arrivals-mapping.yaml"
RAW = EXAMPLES / "arrivals-raw.csv"
KEY = b"agency-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def mapping_document() -> dict:
    return YAML(typ="safe").load(MAPPING.read_text())


def rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(RAW.read_text())))


def test_tokens_depend_on_the_key_and_ignore_case_and_spacing() -> None:
    one, other = Pseudonymiser(KEY), Pseudonymiser(KEY + b"x")
    token = one.token("person", "p_", ["Fictional", "Amal"])
    assert token == one.token("person", "p_", ["  FICTIONAL ", "amal"])
    assert token != other.token("person", "p_", ["Fictional", "Amal"])
    assert token[2:] != one.token("household", "h_", ["Fictional", "Amal"])[2:]
    assert len(token) == 34


def test_a_short_key_is_refused_and_never_shown() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Pseudonymiser(b"short")
    assert "agency-secret" not in repr(Pseudonymiser(KEY))
    assert "agency-secret" not in repr(Anonymiser(check_mapping(mapping_document()), KEY))


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        ((2022, 3, 1), (2026, 2, 28), "0-4"),
        ((2021, 3, 1), (2026, 3, 1), "5-11"),
        ((2008, 11, 30), (2026, 11, 29), "12-17"),
        ((2008, 11, 29), (2026, 11, 29), "18-24"),
        ((1967, 1, 1), (2026, 12, 31), "25-59"),
        ((1960, 1, 1), (2026, 1, 1), "60+"),
    ],
)
def test_the_age_band_is_taken_at_the_event_date(born, on, band) -> None:
    assert age_band(date(*born), date(*on)) == band


def test_the_example_file_becomes_valid_events_without_any_raw_value() -> None:
    anonymiser = Anonymiser(check_mapping(mapping_document()), KEY)
    events = [anonymiser.event(row, now=NOW) for row in rows()]
    text = orjson.dumps(events).decode()
    for row in rows():
        for column in (
            "surname",
            "given_names",
            "date_of_birth",
            "passport_no",
            "phone",
            "address",
            "record_no",
            "family_file",
            "boat_id",
        ):
            if row[column]:
                assert row[column] not in text, column
    parsed = [parse_structured(orjson.dumps(e), now=NOW) for e in events]
    assert parsed[0].data.household_ref == parsed[1].data.household_ref is not None
    assert parsed[2].data.household_ref is None
    assert [p.data.demographics.age_band for p in parsed[:3]] == ["25-59", "5-11", "12-17"]
    assert parsed[2].data.protection.trafficking_indicators == ["debt_bondage", "forced_labour"]
    assert parsed[0].time == datetime(2026, 11, 3, 5, 40, tzinfo=UTC)  # 06:40 in Rome


def test_the_same_record_gets_the_same_event_id_and_person_ref() -> None:
    anonymiser = Anonymiser(check_mapping(mapping_document()), KEY)
    first, again = (anonymiser.event(rows()[0], now=NOW) for _ in range(2))
    assert (first["id"], first["subject"]) == (again["id"], again["subject"])


def test_columns_neither_read_nor_dropped_are_reported_by_name() -> None:
    anonymiser = Anonymiser(check_mapping(mapping_document()), KEY)
    assert anonymiser.unmapped(["record_no", "boat_id", "surname", "eye_colour"]) == [
        "boat_id",
        "eye_colour",
    ]


def test_a_row_with_an_unmapped_code_is_refused_naming_the_column_not_the_value() -> None:
    anonymiser = Anonymiser(check_mapping(mapping_document()), KEY)
    row = rows()[0] | {"sex": "Q-secret", "date_of_birth": "31/02/1990"}
    with pytest.raises(RowError) as caught:
        anonymiser.event(row, now=NOW)
    message = str(caught.value)
    assert "column sex -> demographics.sex" in message and "column date_of_birth" in message
    assert "Q-secret" not in message and "31/02/1990" not in message


def test_a_name_mapped_into_a_code_field_is_caught_by_the_identifier_guard() -> None:
    document = mapping_document()
    document["fields"]["location.admin1"] = {"column": "surname"}
    document["drop"] = [c for c in document["drop"] if c != "surname"]
    anonymiser = Anonymiser(check_mapping(document), KEY)
    with pytest.raises(RowError) as caught:
        anonymiser.event(rows()[0] | {"surname": "Amal Fictional"}, now=NOW)
    assert "data.location.admin1: looks like a personal name" in str(caught.value)
    assert "Fictional" not in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fields": {"demographics.eye_colour": {"constant": "x"}}}, "fields not in"),
        (
            {"fields": {"location.admin1": {"column": "phone"}}},
            "dropped columns must not be mapped",
        ),
        ({"event_type": "org.mixflow.other.v1"}, "event_type"),
        (
            {"fields": {"documents": {"constant": "valid", "column": "x"}}},
            "either `column` or `constant`",
        ),
    ],
)
def test_a_mapping_that_cannot_work_is_refused_with_the_key_at_fault(
    change: dict, message: str
) -> None:
    with pytest.raises(MappingError, match=message):
        check_mapping(mapping_document() | change)


def test_the_cli_writes_events_and_warns_about_unmapped_columns_by_name(tmp_path: Path) -> None:
    key_file = tmp_path / "agency.key"
    key_file.write_bytes(KEY + b"\n")
    result = CliRunner().invoke(
        app, ["anonymise", "--key-file", str(key_file), "--mapping", str(MAPPING), str(RAW)]
    )
    assert result.exit_code == 0, result.output
    events = [orjson.loads(line) for line in result.stdout_bytes.splitlines()]
    assert len(events) == len(rows())
    assert "dropping unmapped columns: boat_id" in result.stderr
    assert KEY.decode() not in result.output


def test_the_cli_refuses_bad_rows_and_exits_one(tmp_path: Path) -> None:
    key_file = tmp_path / "agency.key"
    key_file.write_bytes(KEY)
    raw = tmp_path / "raw.csv"
    lines = RAW.read_text().splitlines()
    raw.write_text(
        "\n".join([lines[0], lines[1], lines[2].replace("03/11/2026 06:52", "soon")]) + "\n"
    )
    result = CliRunner().invoke(
        app, ["anonymise", "--key-file", str(key_file), "--mapping", str(MAPPING), str(raw)]
    )
    assert result.exit_code == 1
    assert len(result.stdout_bytes.splitlines()) == 1
    assert "row 3: column registered_at" in result.stderr and "soon" not in result.stderr


def test_the_cli_refuses_a_weak_key_without_showing_it(tmp_path: Path) -> None:
    key_file = tmp_path / "agency.key"
    key_file.write_bytes(b"tiny-key")
    result = CliRunner().invoke(
        app, ["anonymise", "--key-file", str(key_file), "--mapping", str(MAPPING), str(RAW)]
    )
    assert result.exit_code == 2
    assert "tiny-key" not in result.output and "Traceback" not in result.output
