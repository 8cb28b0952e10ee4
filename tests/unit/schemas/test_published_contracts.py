"""The committed JSON Schema and AsyncAPI files are what the models generate, and the JSON
Schemas agree with the models on good and bad events.

Runtime rules beyond JSON Schema, checked by the parsers only and so left out of the agreement
examples: `subject` equals `data.person_ref`, `agency` equals the last segment of `source`
(JSON Schema cannot compare two values), `time` not in the future (needs a clock), and the
direct-identifier guard (heuristics on values that fit the patterns, e.g. an admin1 `AB123456`).
"""

import json
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

import schemas
from schemas import catalog
from schemas.envelope import parse_structured
from schemas.errors import ContractError
from schemas.topics import TOPICS
from services.cli.contracts_cmd import differing_files, write_files
from tests.unit.schemas.examples import NOW, arrival, raw, referral_update, return_, set_path

pytestmark = pytest.mark.unit
SCHEMAS_DIR = Path(schemas.__file__).parent


def test_committed_contract_files_match_what_the_models_generate() -> None:
    assert differing_files(SCHEMAS_DIR) == [], "run `mixflow schemas export`"


def test_export_writes_every_file_and_then_reports_nothing_to_change(tmp_path: Path) -> None:
    write_files(tmp_path)
    assert differing_files(tmp_path) == []
    (tmp_path / "json" / "ArrivalEvent.schema.json").write_text("{}")
    (tmp_path / "json" / "Stale.schema.json").write_text("{}")
    assert differing_files(tmp_path) == ["json/ArrivalEvent.schema.json", "json/Stale.schema.json"]


def test_generation_is_deterministic() -> None:
    assert catalog.render() == catalog.render()


def validator() -> Draft202012Validator:
    schema = json.loads((SCHEMAS_DIR / "json" / "InboundEvent.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


GOOD = [arrival(), return_(), referral_update()]
BAD = [
    set_path(arrival(), "data.demographics.sex", "M"),
    set_path(arrival(), "data.demographics.nationality", "ZZZ"),
    set_path(arrival(), "data.person_ref", "p_123"),
    set_path(arrival(), "data.protection.asylum_intent", "yes"),
    set_path(arrival(), "data.protection.notes", "x"),
    set_path(arrival(), "specversion", "0.3"),
    set_path(arrival(), "type", "org.mixflow.other.v1"),
    set_path(return_(), "data.months_abroad", 601),
    set_path(return_(), "data.reintegration_needs", ["money"]),
    set_path(referral_update(), "data.status", "pending"),
    referral_update() | {"subject": "p_" + "0" * 32},
    {k: v for k, v in arrival().items() if k != "source"},
]


@pytest.mark.parametrize("event", GOOD, ids=lambda e: e["type"])
def test_the_json_schema_accepts_what_the_models_accept(event: dict) -> None:
    parse_structured(raw(event), now=NOW)
    validator().validate(orjson.loads(raw(event)))


@pytest.mark.parametrize("event", BAD)
def test_the_json_schema_rejects_what_the_models_reject(event: dict) -> None:
    with pytest.raises(ContractError):
        parse_structured(raw(event), now=NOW)
    assert not validator().is_valid(orjson.loads(raw(event)))


def test_every_model_schema_is_a_valid_draft_2020_12_schema() -> None:
    for name in catalog.MODELS:
        schema = json.loads((SCHEMAS_DIR / "json" / f"{name}.schema.json").read_text())
        assert schema["$schema"] == catalog.DRAFT
        Draft202012Validator.check_schema(schema)


def test_asyncapi_has_one_channel_per_topic_with_resolvable_payloads() -> None:
    document = YAML(typ="safe").load((SCHEMAS_DIR / "asyncapi.yaml").read_text())
    assert document["asyncapi"] == "3.0.0"
    addresses = {c["address"]: c for c in document["channels"].values()}
    assert set(addresses) == {topic.name for topic in TOPICS}
    for message in document["components"]["messages"].values():
        assert (SCHEMAS_DIR / message["payload"]["$ref"]).is_file()
    compacted = {
        a
        for a, c in addresses.items()
        if c["bindings"]["kafka"]["topicConfiguration"]["cleanup.policy"] == ["compact"]
    }
    assert compacted == {"mixflow.rules", "mixflow.flows.aggregates"}


def test_binary_mode_headers_are_described_for_agency_topics() -> None:
    document = YAML(typ="safe").load((SCHEMAS_DIR / "asyncapi.yaml").read_text())
    headers = document["components"]["schemas"]["ArrivalEventHeaders"]
    assert {"ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_agency"} <= set(
        headers["required"]
    )
    inbound = document["channels"]["eventsInbound"]["messages"]
    assert set(inbound) == {
        "ArrivalEvent",
        "ArrivalEventBinary",
        "ReturnEvent",
        "ReturnEventBinary",
    }
