"""Records mixflow emits: case changes, flow aggregates, SLA alerts, dead letters, and topics."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from schemas.alerts import SlaBreachAlertV1
from schemas.cases import CaseChangeV1
from schemas.deadletters import DeadLetterV1
from schemas.decisions import DecisionV1
from schemas.errors import Problem
from schemas.flows import FlowAggregateV1
from schemas.topics import EVENTS_INBOUND, RULES, TOPIC_BY_NAME, TOPICS
from tests.unit.cases.builders import decision, person

pytestmark = pytest.mark.unit
AT = datetime(2026, 11, 29, 10, tzinfo=UTC)
CASE = "c_" + "1" * 32
REFERRAL = "r_" + "2" * 32


def test_a_case_change_round_trips_through_json() -> None:
    change = CaseChangeV1(
        case_id=CASE,
        sequence=2,
        kind="referral_issued",
        at=AT,
        person_ref="p_" + "3" * 32,
        referral_id=REFERRAL,
        pathway="CHILD_PROTECTION",
        receiving_actor="child_protection_authority",
        urgency="immediate",
        status="pending",
        due_at=AT + timedelta(hours=24),
        ruleset_id="default",
        ruleset_version=3,
    )
    assert CaseChangeV1.model_validate_json(change.model_dump_json()) == change
    assert change.schema_version == 1


def test_a_case_change_refuses_unknown_kinds_and_fields() -> None:
    with pytest.raises(ValidationError):
        CaseChangeV1.model_validate(
            {
                "case_id": CASE,
                "sequence": 1,
                "kind": "deleted",
                "at": AT,
                "person_ref": "p_" + "3" * 32,
            }
        )
    with pytest.raises(ValidationError):
        CaseChangeV1.model_validate(
            {
                "case_id": CASE,
                "sequence": 1,
                "kind": "case_opened",
                "at": AT,
                "person_ref": "p_" + "3" * 32,
                "name": "x",
            }
        )


def cell(**changes: object) -> dict:
    base = {
        "granularity": "hour",
        "window_start": AT,
        "window_end": AT + timedelta(hours=1),
        "dimensions": {"nationality": "SDN", "age_band": "12-17"},
        "count": 12,
    }
    return base | changes


def test_a_flow_cell_counts_within_one_window() -> None:
    assert FlowAggregateV1.model_validate(cell()).count == 12


def test_a_suppressed_flow_cell_carries_no_count() -> None:
    FlowAggregateV1.model_validate(cell(count=None, suppressed=True))
    with pytest.raises(ValidationError, match="suppressed cell has no count"):
        FlowAggregateV1.model_validate(cell(count=3, suppressed=True))


def test_a_flow_window_must_match_its_granularity() -> None:
    with pytest.raises(ValidationError):
        FlowAggregateV1.model_validate(cell(granularity="day"))


def test_flow_dimensions_are_a_closed_list() -> None:
    with pytest.raises(ValidationError):
        FlowAggregateV1.model_validate(cell(dimensions={"person_ref": "p_x"}))


def test_an_sla_alert_is_detected_after_the_referral_was_due() -> None:
    alert = SlaBreachAlertV1(
        referral_id=REFERRAL,
        case_id=CASE,
        pathway="MEDICAL_CARE",
        receiving_actor="health_service",
        receiving_agency="ITA-ASP",
        urgency="immediate",
        sla_hours=4,
        status="pending",
        due_at=AT,
        detected_at=AT + timedelta(minutes=30),
    )
    assert alert.overdue_by == timedelta(minutes=30)
    with pytest.raises(ValidationError):
        SlaBreachAlertV1.model_validate(
            alert.model_dump() | {"detected_at": AT - timedelta(hours=1)}
        )


def test_a_dead_letter_keeps_a_digest_not_the_payload() -> None:
    letter = DeadLetterV1(
        received_at=AT,
        channel="kafka",
        topic=EVENTS_INBOUND,
        partition=0,
        offset=42,
        payload_sha256="a" * 64,
        payload_size=1200,
        problems=(
            Problem(
                path="data.person_ref",
                reason="looks like an e-mail address",
                kind="direct_identifier",
            ),
        ),
    )
    assert "payload" not in letter.model_dump()


def test_topics_are_unique_and_only_rules_and_aggregates_are_compacted() -> None:
    assert len(TOPIC_BY_NAME) == len(TOPICS) == 9
    assert {t.name for t in TOPICS if t.compacted} == {RULES, "mixflow.flows.aggregates"}
    assert all(t.name.startswith("mixflow.") and t.messages for t in TOPICS)


def test_a_decision_carries_only_event_ids_the_envelope_accepts() -> None:
    fields = decision("e1", person(1)).model_dump(mode="json")
    longest = {**fields, "event_id": "e" * 128}
    assert DecisionV1.model_validate(longest, strict=False).event_id == "e" * 128
    # Longer ids never come from the router, and a case change could not carry them.
    with pytest.raises(ValidationError) as refused:
        DecisionV1.model_validate({**fields, "event_id": "e" * 129}, strict=False)
    assert refused.value.errors()[0]["loc"] == ("event_id",)
